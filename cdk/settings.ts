import type { App } from 'aws-cdk-lib';
import { DEFAULT_RETRAIN_SCHEDULE } from './constructs/retrain-schedule.js';

/** Context keys (cdk.json `context`, or `cdk synth -c key=value`). */
export const CONTEXT_KEYS = {
  retrainSchedule: 'shardtrain:retrainSchedule',
  scratchExpiryDays: 'shardtrain:scratchExpiryDays',
  workerReservedConcurrency: 'shardtrain:workerReservedConcurrency',
  workerMaxConcurrency: 'shardtrain:workerMaxConcurrency',
  batchSpot: 'shardtrain:batchSpot',
  batchMaxvCpus: 'shardtrain:batchMaxvCpus',
} as const;

/** Deployment knobs read from CDK context. */
export interface ShardtrainSettings {
  readonly retrainSchedule: string;
  readonly scratchExpiryDays: number;
  /** 0: no reserved concurrency. */
  readonly workerReservedConcurrency: number;
  readonly workerMaxConcurrency: number;
  readonly batchSpot: boolean;
  readonly batchMaxvCpus: number;
}

/** Used when neither cdk.json nor `-c` sets a key. */
export const DEFAULT_SETTINGS: ShardtrainSettings = {
  retrainSchedule: DEFAULT_RETRAIN_SCHEDULE,
  scratchExpiryDays: 7,
  workerReservedConcurrency: 0,
  workerMaxConcurrency: 10,
  batchSpot: false,
  batchMaxvCpus: 64,
};

/** Context values come as JSON from cdk.json but as strings from `-c`; accept both. */
function integer(key: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`Context '${key}' must be a whole number >= ${min}, got '${String(value)}'.`);
  }
  return n;
}

function boolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context '${key}' must be true or false, got '${String(value)}'.`);
}

/** Reads and validates the shardtrain context of `app`. */
export function readSettings(app: App): ShardtrainSettings {
  const get = (key: string): unknown => app.node.tryGetContext(key);
  const k = CONTEXT_KEYS;
  const d = DEFAULT_SETTINGS;
  const schedule = get(k.retrainSchedule);
  return {
    retrainSchedule: schedule === undefined ? d.retrainSchedule : String(schedule),
    scratchExpiryDays: integer(k.scratchExpiryDays, get(k.scratchExpiryDays), d.scratchExpiryDays, 1),
    workerReservedConcurrency: integer(
      k.workerReservedConcurrency,
      get(k.workerReservedConcurrency),
      d.workerReservedConcurrency,
      0,
    ),
    workerMaxConcurrency: integer(
      k.workerMaxConcurrency,
      get(k.workerMaxConcurrency),
      d.workerMaxConcurrency,
      2,
    ),
    batchSpot: boolean(k.batchSpot, get(k.batchSpot), d.batchSpot),
    batchMaxvCpus: integer(k.batchMaxvCpus, get(k.batchMaxvCpus), d.batchMaxvCpus, 1),
  };
}
