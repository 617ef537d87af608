import { evaluateModel, modelRows } from '../../lib/engine/evaluation/evaluate.js';
import { outputKind, predictRows } from '../../lib/engine/serving/model-artifact.js';
import { withScratchDataset } from '../home.js';
import { type Io, num } from '../output.js';
import { checkOutputPath, openAtomicOutput } from '../output-file.js';
import type { Session } from '../session.js';
import { loadModel } from './model-ref.js';

/** `shardtrain evaluate`: scores a model on a labelled CSV. */
export async function evaluate(
  session: Session,
  args: { model: string; data: string; json: boolean },
  io: Io,
) {
  const { artifact, label } = await loadModel(session, args.model);
  const metrics = await withScratchDataset(args.data, (store, manifest) =>
    evaluateModel(store, manifest, artifact),
  );
  if (args.json) io.out(JSON.stringify(metrics));
  else
    io.out(
      `${label} on ${args.data}: ${Object.entries(metrics)
        .map(([k, v]) => `${k} ${num(v)}`)
        .join(', ')}`,
    );
  return metrics;
}

/**
 * `shardtrain predict`: writes one row per input row: `prediction` (value, or class label) and,
 * for classifiers, a probability column per class.
 */
export async function predict(session: Session, args: { model: string; data: string; out?: string }, io: Io) {
  // The destination is checked before the model is loaded or the data read.
  if (args.out !== undefined) await checkOutputPath('--out', args.out);
  const { artifact } = await loadModel(session, args.model);
  const file = args.out === undefined ? undefined : await openAtomicOutput('--out', args.out);
  let lines = 0;
  const write = async (line: string): Promise<void> => {
    if (file !== undefined) return file.write(line);
    io.out(line);
    // Let a closed pipe's error arrive (`predict | head`): the next write then ends the run.
    if (++lines % 1024 === 0) await new Promise((r) => setImmediate(r));
  };
  const classes = artifact.classes ?? [];
  let rows = 0;
  try {
    await write(
      outputKind(artifact) === 'linear'
        ? 'prediction'
        : ['prediction', ...classes.map((c) => `p_${c}`)].join(','),
    );
    await withScratchDataset(args.data, async (store, manifest) => {
      for await (const block of modelRows(store, manifest, artifact, false)) {
        const { k, values } = predictRows(artifact, block.x, block.rows);
        for (let r = 0; r < block.rows; r++) {
          if (outputKind(artifact) === 'linear') await write(String(values[r]));
          else if (outputKind(artifact) === 'logistic') {
            const p = values[r]!;
            await write([p >= 0.5 ? classes[1] : classes[0], 1 - p, p].join(','));
          } else {
            const probs = Array.from(values.subarray(r * k, (r + 1) * k));
            const best = probs.indexOf(Math.max(...probs));
            await write([classes[best], ...probs].join(','));
          }
        }
        rows += block.rows;
      }
    });
    await file?.commit();
  } catch (error) {
    await file?.abort();
    throw error;
  }
  if (file !== undefined) io.err(`wrote ${rows} predictions to ${args.out}`);
  return rows;
}
