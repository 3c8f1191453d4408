/**
 * Per-channel quantization of a 2-D float matrix (row-major [rows, cols]) to int8: one scale per column (a
 * MatMul weight [K, N]: one per output feature, K along the rows) or per row (an embedding table [V, D]:
 * one per token; as a tied output projection it is read transposed, so K runs along the columns).
 *
 * Codes are symmetric (zero point 0) and bounded as the coding says (int8-coding.ts): |q| ≤ qmax, and with a
 * pair limit, the same-signed codes of each K-pair (2j, 2j + 1) of a channel add up to at most the limit.
 */
import type { CodingLimits } from './int8-coding.js';
import { roundHalfEven } from './scale.js';

export type ChannelAxis = 'rows' | 'columns';

export interface ChannelQuantized {
  /** Same layout as the input, [rows, cols]. */
  readonly data: Int8Array;
  /** One per channel: [cols] for 'columns', [rows] for 'rows'. */
  readonly scales: Float32Array;
}

/** Flat index of element `p` (along K) of channel `ch`. */
type At = (ch: number, p: number) => number;

export function quantizeChannels(
  values: Float32Array,
  rows: number,
  cols: number,
  axis: ChannelAxis,
  limits: CodingLimits,
): ChannelQuantized {
  const channels = axis === 'rows' ? rows : cols;
  const length = axis === 'rows' ? cols : rows;
  const at: At = axis === 'rows' ? (ch, p) => ch * cols + p : (ch, p) => p * cols + ch;
  const data = new Int8Array(rows * cols);
  const scales = new Float32Array(channels);
  for (let ch = 0; ch < channels; ch++) {
    const scale = channelScale(values, at, ch, length, limits);
    scales[ch] = scale;
    for (let p = 0; p < length; p++) {
      const i = at(ch, p);
      data[i] = Math.min(Math.max(roundHalfEven(values[i]! / scale), -limits.qmax), limits.qmax);
    }
    if (limits.pairLimit !== undefined) boundPairs(values, data, at, ch, length, scale, limits.pairLimit);
  }
  return { data, scales };
}

/**
 * The smallest scale that fits the channel: absmax / qmax, and with a pair limit also each K-pair's
 * same-signed sum / limit. float32, as it is stored; an all-zero channel gets 1 (a scale of 0 would give NaN).
 */
function channelScale(
  values: Float32Array,
  at: At,
  ch: number,
  length: number,
  limits: CodingLimits,
): number {
  let absMax = 0;
  let pairMax = 0;
  for (let p = 0; p < length; p += 2) {
    const a = values[at(ch, p)]!;
    const b = p + 1 < length ? values[at(ch, p + 1)]! : 0;
    absMax = Math.max(absMax, Math.abs(a), Math.abs(b));
    pairMax = Math.max(pairMax, Math.max(a, 0) + Math.max(b, 0), -(Math.min(a, 0) + Math.min(b, 0)));
  }
  let s = absMax / limits.qmax;
  if (limits.pairLimit !== undefined) s = Math.max(s, pairMax / limits.pairLimit);
  const scale = Math.fround(s);
  return scale > 0 && Number.isFinite(scale) ? scale : 1;
}

/**
 * Rounding can lift a pair that fits the limit before rounding by up to one code: take one step back on the
 * code that was rounded up the most (positive side) or down the most (negative side).
 */
function boundPairs(
  values: Float32Array,
  data: Int8Array,
  at: At,
  ch: number,
  length: number,
  scale: number,
  limit: number,
): void {
  for (let p = 0; p + 1 < length; p += 2) {
    const i = at(ch, p);
    const j = at(ch, p + 1);
    for (;;) {
      const qi = data[i]!;
      const qj = data[j]!;
      const pos = Math.max(qi, 0) + Math.max(qj, 0);
      const neg = Math.min(qi, 0) + Math.min(qj, 0);
      if (pos <= limit && neg >= -limit) break;
      const upI = qi - values[i]! / scale;
      const upJ = qj - values[j]! / scale;
      if (pos > limit) {
        // Lower the positive code rounded up the most (a non-positive partner cannot be lowered usefully).
        const lowerI = qi > 0 && (qj <= 0 || upI >= upJ);
        if (lowerI) data[i] = qi - 1;
        else data[j] = qj - 1;
      } else {
        const raiseI = qi < 0 && (qj >= 0 || upI <= upJ);
        if (raiseI) data[i] = qi + 1;
        else data[j] = qj + 1;
      }
    }
  }
}

/** Transpose of a row-major [rows, cols] matrix. */
export function transpose<T extends Float32Array | Int8Array | Uint8Array>(
  values: T,
  rows: number,
  cols: number,
): T {
  const out = new (values.constructor as new (n: number) => T)(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}
