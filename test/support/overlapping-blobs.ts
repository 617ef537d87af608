import { blobsProblem } from '../../lib/examples/generators.js';
import { writeCsv } from './cli.js';

/**
 * The placement tests' dataset, written as `<dir>/blobs.csv`: two overlapping blobs in 3-D
 * (centres at −0.5 and +0.5 on every axis, unit spread, labels `neg`/`pos`, seed 5). 30–40 epochs
 * of full-batch GD do not converge on it, so every round moves the parameters and a placement
 * that drops, repeats or reorders one shows in the final bits. Full-batch GD takes one step per
 * epoch whatever the row count, so the tests' step counts do not depend on `rows`.
 */
export function writeOverlappingBlobs(dir: string, rows = 1200): string {
  return writeCsv(
    dir,
    'blobs.csv',
    blobsProblem({
      rows,
      centres: [
        [-0.5, -0.5, -0.5],
        [0.5, 0.5, 0.5],
      ],
      labels: ['neg', 'pos'],
      seed: 5,
    }),
  );
}
