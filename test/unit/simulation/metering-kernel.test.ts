import { describe, expect, it } from 'vitest';
import { allRows, initParams, paramCount, TypedArrayKernel } from '../../../lib/optim/index.js';
import { MeteringKernel } from '../../../lib/simulation/metering-kernel.js';

const batch = (rows: number, d: number, classes: number) => {
  const x = new Float32Array(rows * d).map((_, i) => ((i * 7) % 11) / 11 - 0.5);
  const y = new Float32Array(rows).map((_, r) => r % classes);
  return { x, y, rows, d };
};

describe('Class: MeteringKernel', () => {
  it('counts an MLP gradient as rows × 3 × its weights, the MLP calibration’s unit', () => {
    // Prepare: 64 → 128 → 64 → 10, 40 rows.
    const spec = {
      kind: 'mlp' as const,
      numFeatures: 64,
      numClasses: 10,
      hidden: [128, 64],
      head: 'softmax' as const,
    };
    const meter = new MeteringKernel(new TypedArrayKernel());

    // Act
    meter.lossAndGradient(
      spec,
      initParams(spec, 1),
      allRows(batch(40, 64, 10)),
      new Float64Array(paramCount(spec)),
    );

    // Assess: by hand 3 × (64·128 + 128·64 + 64·10) = 51 072 a row.
    expect(meter.work).toBe(40 * 51_072);
  });

  it('still counts a linear family as rows × parameters', () => {
    const spec = { kind: 'softmax' as const, numFeatures: 8, numClasses: 3 };
    const meter = new MeteringKernel(new TypedArrayKernel());
    meter.lossAndGradient(spec, new Float64Array(27), allRows(batch(5, 8, 3)), new Float64Array(27));
    expect(meter.work).toBe(5 * 3 * 9); // K·(d+1) = 27 parameters a row
  });
});
