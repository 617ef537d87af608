import { UsageError } from '../../errors.js';
import type { RowSelection } from '../models/batch.js';
import { logisticLoss, sigmoid } from '../models/link-functions.js';
import type { LayerBlock, ModelSpec } from '../models/model-spec.js';
import { headKind, layerBlocks, paramCount } from '../models/model-spec.js';
import type { LossAndGradient } from './gradient-kernel.js';

/** Rows forwarded and back-propagated together (activations of a chunk stay in cache). */
export const MLP_CHUNK_ROWS = 32;

/**
 * Loss and gradient SUMS of an MLP over the selected rows, by back-propagation in float64
 * (ReLU hidden layers; linear/sigmoid/softmax head with squared-error/log-loss/cross-entropy).
 *
 * Rows go in chunks of {@link MLP_CHUNK_ROWS} in selection order; within a chunk every sum runs in
 * a fixed order (rows ascending, units ascending), so the result is the same bits on every run
 * and every machine for the same selection — the determinism the distributed engine relies on.
 * `outGradSum` is overwritten, in the layout of {@link layerBlocks}.
 */
export function mlpLossAndGradient(
  spec: ModelSpec,
  params: Float64Array,
  sel: RowSelection,
  outGradSum: Float64Array,
): LossAndGradient {
  const { x, y, d } = sel.batch;
  if (d !== spec.numFeatures)
    throw new UsageError(`batch has ${d} features but the model expects ${spec.numFeatures}`);
  const n = paramCount(spec);
  if (outGradSum.length !== n || params.length !== n)
    throw new UsageError(`params and gradient must have ${n} entries`);
  outGradSum.fill(0);
  const rows = Math.max(0, sel.end - sel.start);
  if (rows === 0) return { lossSum: 0, rows: 0 };
  const blocks = layerBlocks(spec);
  const head = headKind(spec);
  const last = blocks.length - 1;
  const k = blocks[last]!.outputs;
  const ch = MLP_CHUNK_ROWS;
  // acts[l]: the chunk's input to layer l (acts[0] = features), ch × inputs; acts[L+1]: head logits
  const acts = [...blocks.map((b) => new Float64Array(ch * b.inputs)), new Float64Array(ch * k)];
  const deltas = [...blocks.map((b) => new Float64Array(ch * b.outputs))];
  const labels = new Float64Array(ch);
  const idx = sel.indices ?? null;
  let loss = 0;
  for (let c0 = sel.start; c0 < sel.end; c0 += ch) {
    const m = Math.min(ch, sel.end - c0);
    const a0 = acts[0]!;
    for (let r = 0; r < m; r++) {
      const row = idx === null ? c0 + r : idx[c0 + r]!;
      const o = row * d;
      for (let j = 0; j < d; j++) a0[r * d + j] = x[o + j]!;
      labels[r] = y[row]!;
      if (head === 'softmax') checkLabel(labels[r]!, row, k);
    }
    for (let l = 0; l <= last; l++) forward(blocks[l]!, params, acts[l]!, acts[l + 1]!, m, l < last);
    loss += headDelta(head, acts[last + 1]!, labels, deltas[last]!, m, k);
    for (let l = last; l >= 0; l--) {
      const b = blocks[l]!;
      accumulate(b, deltas[l]!, acts[l]!, outGradSum, m);
      if (l > 0) backward(b, params, deltas[l]!, acts[l]!, deltas[l - 1]!, m);
    }
  }
  return { lossSum: loss, rows };
}

function checkLabel(label: number, row: number, k: number): void {
  if (!(Number.isInteger(label) && label >= 0 && label < k))
    throw new UsageError(`softmax label at row ${row} is ${label}; labels must be class indices 0..${k - 1}`);
}

/**
 * out[r][o] = b_o + Σ_i w_oi·a[r][i], then ReLU for hidden layers. Rows go four at a time so the
 * four dot products share each weight load (as the typed kernel's linear pass does).
 */
function forward(
  b: LayerBlock,
  w: Float64Array,
  a: Float64Array,
  out: Float64Array,
  m: number,
  relu: boolean,
): void {
  const ni = b.inputs;
  const no = b.outputs;
  const stride = ni + 1;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const a0 = r * ni;
    const a1 = a0 + ni;
    const a2 = a1 + ni;
    const a3 = a2 + ni;
    for (let o = 0; o < no; o++) {
      const wo = b.offset + o * stride;
      const bias = w[wo]!;
      let s0 = bias;
      let s1 = bias;
      let s2 = bias;
      let s3 = bias;
      for (let i = 0; i < ni; i++) {
        const wi = w[wo + 1 + i]!;
        s0 += wi * a[a0 + i]!;
        s1 += wi * a[a1 + i]!;
        s2 += wi * a[a2 + i]!;
        s3 += wi * a[a3 + i]!;
      }
      out[r * no + o] = relu && s0 < 0 ? 0 : s0;
      out[(r + 1) * no + o] = relu && s1 < 0 ? 0 : s1;
      out[(r + 2) * no + o] = relu && s2 < 0 ? 0 : s2;
      out[(r + 3) * no + o] = relu && s3 < 0 ? 0 : s3;
    }
  }
  for (; r < m; r++) {
    const ar = r * ni;
    for (let o = 0; o < no; o++) {
      const wo = b.offset + o * stride;
      let s = w[wo]!;
      for (let i = 0; i < ni; i++) s += w[wo + 1 + i]! * a[ar + i]!;
      out[r * no + o] = relu && s < 0 ? 0 : s;
    }
  }
}

/** The head's per-row loss summed, and ∂loss/∂logit into `delta` (m × k). */
function headDelta(
  head: 'linear' | 'logistic' | 'softmax',
  z: Float64Array,
  labels: Float64Array,
  delta: Float64Array,
  m: number,
  k: number,
): number {
  let loss = 0;
  if (head === 'linear') {
    for (let r = 0; r < m; r++) {
      const res = z[r]! - labels[r]!;
      delta[r] = res;
      loss += 0.5 * res * res;
    }
    return loss;
  }
  if (head === 'logistic') {
    for (let r = 0; r < m; r++) {
      delta[r] = sigmoid(z[r]!) - labels[r]!;
      loss += logisticLoss(z[r]!, labels[r]!);
    }
    return loss;
  }
  for (let r = 0; r < m; r++) {
    const o = r * k;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) if (z[o + c]! > max) max = z[o + c]!;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[o + c]! - max);
    const lse = max + Math.log(sum);
    const label = labels[r]!;
    loss += lse - z[o + label]!;
    for (let c = 0; c < k; c++) delta[o + c] = Math.exp(z[o + c]! - lse) - (c === label ? 1 : 0);
  }
  return loss;
}

/**
 * g[o] += Σ_r δ[r][o]·[1, a[r]], rows four at a time (one load and store of g per four rows);
 * a group whose four deltas are all 0 (ReLU units that are off) is skipped.
 */
function accumulate(b: LayerBlock, delta: Float64Array, a: Float64Array, g: Float64Array, m: number): void {
  const ni = b.inputs;
  const no = b.outputs;
  const stride = ni + 1;
  for (let o = 0; o < no; o++) {
    const go = b.offset + o * stride + 1;
    let gb = g[go - 1]!;
    let r = 0;
    for (; r + 4 <= m; r += 4) {
      const d0 = delta[r * no + o]!;
      const d1 = delta[(r + 1) * no + o]!;
      const d2 = delta[(r + 2) * no + o]!;
      const d3 = delta[(r + 3) * no + o]!;
      if (d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0) continue;
      gb += d0 + d1 + d2 + d3;
      const a0 = r * ni;
      const a1 = a0 + ni;
      const a2 = a1 + ni;
      const a3 = a2 + ni;
      for (let i = 0; i < ni; i++)
        g[go + i] = g[go + i]! + (d0 * a[a0 + i]! + d1 * a[a1 + i]! + d2 * a[a2 + i]! + d3 * a[a3 + i]!);
    }
    for (; r < m; r++) {
      const dv = delta[r * no + o]!;
      if (dv === 0) continue;
      gb += dv;
      const ar = r * ni;
      for (let i = 0; i < ni; i++) g[go + i] = g[go + i]! + dv * a[ar + i]!;
    }
    g[go - 1] = gb;
  }
}

/**
 * δ_prev[r][i] = (Σ_o δ[r][o]·w_oi)·[a[r][i] > 0]: through the layer, then the ReLU before it;
 * outputs four at a time (one pass over δ_prev per four weight rows).
 */
function backward(
  b: LayerBlock,
  w: Float64Array,
  delta: Float64Array,
  a: Float64Array,
  prev: Float64Array,
  m: number,
): void {
  const ni = b.inputs;
  const no = b.outputs;
  const stride = ni + 1;
  prev.fill(0, 0, m * ni);
  for (let r = 0; r < m; r++) {
    const pr = r * ni;
    const dr = r * no;
    let o = 0;
    for (; o + 4 <= no; o += 4) {
      const d0 = delta[dr + o]!;
      const d1 = delta[dr + o + 1]!;
      const d2 = delta[dr + o + 2]!;
      const d3 = delta[dr + o + 3]!;
      if (d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0) continue;
      const w0 = b.offset + o * stride + 1;
      const w1 = w0 + stride;
      const w2 = w1 + stride;
      const w3 = w2 + stride;
      for (let i = 0; i < ni; i++)
        prev[pr + i] =
          prev[pr + i]! + (d0 * w[w0 + i]! + d1 * w[w1 + i]! + d2 * w[w2 + i]! + d3 * w[w3 + i]!);
    }
    for (; o < no; o++) {
      const dv = delta[dr + o]!;
      if (dv === 0) continue;
      const wo = b.offset + o * stride + 1;
      for (let i = 0; i < ni; i++) prev[pr + i] = prev[pr + i]! + dv * w[wo + i]!;
    }
    for (let i = 0; i < ni; i++) if (!(a[pr + i]! > 0)) prev[pr + i] = 0;
  }
}
