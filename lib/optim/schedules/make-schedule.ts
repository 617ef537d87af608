import { UsageError } from '../../errors.js';
import { constant } from './constant.js';
import { cosineRestarts } from './cosine-restarts.js';
import { exponentialDecay } from './exponential-decay.js';
import { inverseTimeDecay } from './inverse-time-decay.js';
import type { Schedule } from './schedule.js';
import { stepDecay } from './step-decay.js';

/** Every schedule as plain data (JSON-able, so it can sit in a job spec). `lr` is lr0. */
export type ScheduleConfig =
  | { readonly kind: 'constant'; readonly lr: number }
  | {
      readonly kind: 'inverse-time';
      readonly lr: number;
      readonly decaySteps: number;
      readonly power: number;
    }
  | {
      readonly kind: 'exponential';
      readonly lr: number;
      readonly decaySteps: number;
      readonly rate: number;
      readonly staircase?: boolean;
    }
  | { readonly kind: 'step'; readonly lr: number; readonly everySteps: number; readonly factor: number }
  | {
      readonly kind: 'cosine-restarts';
      readonly lr: number;
      readonly firstPeriod: number;
      readonly tMul?: number;
      readonly mMul?: number;
      readonly minLr?: number;
    }
  | {
      readonly kind: 'plateau';
      readonly lr: number;
      readonly factor?: number;
      readonly patience?: number;
      readonly threshold?: number;
      readonly minLr?: number;
      readonly cooldown?: number;
    };

/**
 * Turns a config into a pure `(step) => lr`. For `plateau` the rate depends on the loss history,
 * so this returns lr0 and training uses a {@link PlateauController} instead.
 */
export function makeSchedule(config: ScheduleConfig): Schedule {
  if (!(config.lr > 0 && Number.isFinite(config.lr))) {
    throw new UsageError(`learning rate must be a positive finite number, got ${config.lr}`);
  }
  switch (config.kind) {
    case 'constant':
    case 'plateau':
      return constant(config.lr);
    case 'inverse-time':
      return inverseTimeDecay(config.lr, positive(config.decaySteps, 'decaySteps'), config.power);
    case 'exponential':
      return exponentialDecay(
        config.lr,
        positive(config.decaySteps, 'decaySteps'),
        config.rate,
        config.staircase ?? false,
      );
    case 'step':
      return stepDecay(config.lr, positive(config.everySteps, 'everySteps'), config.factor);
    case 'cosine-restarts':
      return cosineRestarts(
        config.lr,
        positive(config.firstPeriod, 'firstPeriod'),
        config.tMul ?? 2,
        config.mMul ?? 1,
        config.minLr ?? 0,
      );
    default:
      throw new UsageError(`schedule "${(config as { kind: string }).kind}" is unknown`);
  }
}

function positive(v: number, name: string): number {
  if (!(v > 0)) throw new UsageError(`schedule ${name} must be > 0, got ${v}`);
  return v;
}
