import { z } from 'zod';
import { keys } from '../engine/keys.js';
import { latestState } from '../engine/training/job-store.js';
import type { ObjectStore } from '../ports.js';

/**
 * The per-round metrics record the aggregator writes at `jobs/<id>/metrics/<round>.json`
 * (functions/shared/round-metrics.ts). Parsed loosely (extra fields kept out, optional timing
 * fields accepted) so a newer writer's record still reads.
 */
export const roundMetricsRecordSchema = z.object({
  jobId: z.string(),
  round: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  loss: z.number(),
  gradNorm: z.number(),
  lr: z.number(),
  /** Wall time from the previous round's state to this one's. */
  roundMs: z.number().nonnegative().nullable().optional(),
  /** Time the workers spent computing (slowest partition), when the writer records it. */
  computeMs: z.number().nonnegative().nullable().optional(),
});

/** One round as the report draws it. */
export interface RoundPoint {
  readonly round: number;
  readonly epoch: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  readonly roundMs: number | null;
  readonly computeMs: number | null;
}

/** A job's loss history and where it came from; `errors` name each record that could not be read. */
export interface RoundHistory {
  readonly rounds: RoundPoint[];
  readonly epochs: { readonly epoch: number; readonly loss: number }[];
  /** `metrics`: the per-round records; `state`: the newest training state's bounded history. */
  readonly source: 'metrics' | 'state' | 'none';
  readonly errors: string[];
}

const decoder = new TextDecoder();

/**
 * THE reader of a job's per-round history, for the report and the dashboard: the per-round
 * metrics records when there are any (every round, however long the job), otherwise the newest
 * training state's last record (the in-process runner writes no records, and a state keeps only
 * its last round). A record that is missing its body or is not valid JSON/schema does not
 * blank the chart: it is skipped and named in `errors`, which the page shows in an error box.
 */
export async function readRoundHistory(
  store: ObjectStore,
  jobId: string,
  cache?: Map<string, RoundPoint>,
): Promise<RoundHistory> {
  const all = (await store.list(keys.job.metricsPrefix(jobId))).filter((i) => i.key.endsWith('.json'));
  // Records are written once (put-if-absent) and never change, so a poller reads each one once.
  const cached = all.flatMap((i) => {
    const hit = cache?.get(i.key);
    return hit === undefined ? [] : [hit];
  });
  const infos = cache === undefined ? all : all.filter((i) => !cache.has(i.key));
  const state = await latestState(store, jobId).catch(() => undefined);
  // The state is lean (issue 8): it keeps only the last epoch and the last round's record.
  const epochs = state?.lastEpoch ? [{ epoch: state.lastEpoch.epoch, loss: state.lastEpoch.loss }] : [];
  if (all.length === 0) {
    const rounds = state?.last ? [{ ...state.last, roundMs: null, computeMs: null }] : [];
    return { rounds, epochs, source: rounds.length > 0 ? 'state' : 'none', errors: [] };
  }
  const errors: string[] = [];
  const rounds: RoundPoint[] = [...cached];
  // Bounded parallel reads: S3 answers each GET in ~20 ms, so 10k rounds read 32 at a time.
  for (let i = 0; i < infos.length; i += 32) {
    const batch = infos.slice(i, i + 32);
    const bodies = await Promise.all(batch.map((info) => store.get(info.key)));
    bodies.forEach((obj, j) => {
      const key = batch[j]!.key;
      if (obj === undefined) {
        errors.push(`${key}: the metrics record is missing`);
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(decoder.decode(obj.body));
      } catch {
        errors.push(`${key}: the metrics record is not valid JSON`);
        return;
      }
      const parsed = roundMetricsRecordSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        errors.push(`${key}: the metrics record is invalid at ${issue?.path.join('.') || '(root)'}`);
        return;
      }
      const r = parsed.data;
      const point = {
        round: r.round,
        epoch: r.epoch,
        loss: r.loss,
        gradNorm: r.gradNorm,
        lr: r.lr,
        roundMs: r.roundMs ?? null,
        computeMs: r.computeMs ?? null,
      };
      cache?.set(key, point);
      rounds.push(point);
    });
  }
  rounds.sort((a, b) => a.round - b.round);
  // A gap in the round numbers means records were lost: say so rather than draw a silent jump.
  for (let i = 1; i < rounds.length; i++) {
    const gap = rounds[i]!.round - rounds[i - 1]!.round - 1;
    if (gap > 0)
      errors.push(`rounds ${rounds[i - 1]!.round + 1}–${rounds[i]!.round - 1} have no metrics record`);
  }
  return { rounds, epochs: epochs.length > 0 ? epochs : epochMeans(rounds), source: 'metrics', errors };
}

/** Per-epoch mean of the round losses, when no state holds the epoch records. */
function epochMeans(rounds: readonly RoundPoint[]): { epoch: number; loss: number }[] {
  const sums = new Map<number, { s: number; n: number }>();
  for (const r of rounds) {
    const e = sums.get(r.epoch) ?? { s: 0, n: 0 };
    e.s += r.loss;
    e.n += 1;
    sums.set(r.epoch, e);
  }
  return [...sums].map(([epoch, { s, n }]) => ({ epoch, loss: s / n }));
}
