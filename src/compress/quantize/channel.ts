/**
 * Per-channel quantization of a 2-D float matrix (row-major [rows, cols]) to int8: one scale per column (a
 * MatMul weight [K, N]: one per output feature) or per row (an embedding table [V, D]: one per token).
 */
import { type QuantParams, type QuantRange, quantizeValue, symmetricParams } from './scale.js';

export type ChannelAxis = 'rows' | 'columns';

export interface ChannelQuantized {
  /** Same layout as the input, [rows, cols]. */
  readonly data: Int8Array;
  /** One per channel: [cols] for 'columns', [rows] for 'rows'. */
  readonly scales: Float32Array;
}

/** Symmetric int8 per channel (zero point 0). */
export function quantizeChannels(
  values: Float32Array,
  rows: number,
  cols: number,
  axis: ChannelAxis,
  range: QuantRange,
): ChannelQuantized {
  const channels = axis === 'rows' ? rows : cols;
  const absMax = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(values[r * cols + c]!);
      const ch = axis === 'rows' ? r : c;
      if (a > absMax[ch]!) absMax[ch] = a;
    }
  }
  const params: QuantParams[] = Array.from(absMax, (a) => symmetricParams(a, range));
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = params[axis === 'rows' ? r : c]!;
      data[r * cols + c] = quantizeValue(values[r * cols + c]!, p, range);
    }
  }
  return { data, scales: Float32Array.from(params, (p) => p.scale) };
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
