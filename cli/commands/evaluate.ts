import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { evaluateModel, modelRows } from '../../lib/engine/evaluate.js';
import { predictRows } from '../../lib/engine/model-artifact.js';
import { withScratchDataset } from '../home.js';
import { type Io, num } from '../output.js';
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
  const { artifact } = await loadModel(session, args.model);
  const file = args.out === undefined ? undefined : createWriteStream(args.out);
  const write = async (line: string): Promise<void> => {
    if (file === undefined) io.out(line);
    else if (!file.write(`${line}\n`)) await once(file, 'drain');
  };
  const classes = artifact.classes ?? [];
  await write(
    artifact.kind === 'linear' ? 'prediction' : ['prediction', ...classes.map((c) => `p_${c}`)].join(','),
  );
  let rows = 0;
  await withScratchDataset(args.data, async (store, manifest) => {
    for await (const block of modelRows(store, manifest, artifact, false)) {
      const { k, values } = predictRows(artifact, block.x, block.rows);
      for (let r = 0; r < block.rows; r++) {
        if (artifact.kind === 'linear') await write(String(values[r]));
        else if (artifact.kind === 'logistic') {
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
  if (file !== undefined) {
    file.end();
    await once(file, 'finish');
    io.err(`wrote ${rows} predictions to ${args.out}`);
  }
  return rows;
}
