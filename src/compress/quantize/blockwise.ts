/**
 * Block-wise n-bit weight quantization in com.microsoft MatMulNBits' layout (docs/ContribOperators.md,
 * checked against onnxruntime-node 1.30 in test/compress/quantize/nbits.test.ts):
 *
 * - the weight W [K, N] is stored transposed: each output column n holds its K values, cut into
 *   `blocks = ceil(K / blockSize)` blocks along K (the last one zero-padded);
 * - B: uint8 [N, blocks, blobSize], blobSize = blockSize · bits / 8, values bit-packed low bits first;
 * - scales: float [N · blocks] (row n, block b at n · blocks + b);
 * - zero points: unsigned `bits`-bit values packed the same way per row, [N · ceil(blocks · bits / 8)];
 *   left out for symmetric weights, where ORT's default zero point 2^(bits−1) applies (8 for 4-bit), so a
 *   symmetric value q ∈ [−(2^(bits−1) − 1), 2^(bits−1) − 1] is stored as q + 2^(bits−1).
 */
import { type PackBits, packBits, unpackBits } from './pack.js';
import { quantizeValue, quantParams, unsignedRange } from './scale.js';

export interface NBitsOptions {
  readonly bits: PackBits;
  readonly blockSize: number;
  readonly symmetric: boolean;
}

export interface NBitsWeight {
  readonly k: number;
  readonly n: number;
  readonly bits: PackBits;
  readonly blockSize: number;
  readonly blocks: number;
  readonly blobSize: number;
  /** [N, blocks, blobSize] */
  readonly data: Uint8Array;
  /** [N · blocks] */
  readonly scales: Float32Array;
  /** Packed [N · ceil(blocks · bits / 8)]; undefined when symmetric (the default zero point applies). */
  readonly zeroPoints?: Uint8Array;
}

/**
 * Quantizes W given as [K, N] ('kn', a MatMul weight) or [N, K] ('nk', a Gemm weight with transB=1).
 * Symmetric blocks use scale = absmax / (2^(bits−1) − 1); asymmetric ones map [min(0, min), max(0, max)]
 * onto [0, 2^bits − 1] with a per-block zero point.
 */
export function quantizeNBits(
  weight: Float32Array,
  k: number,
  n: number,
  layout: 'kn' | 'nk',
  options: NBitsOptions,
): NBitsWeight {
  const { bits, blockSize, symmetric } = options;
  const blocks = Math.ceil(k / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const range = unsignedRange(bits);
  const at =
    layout === 'kn' ? (kk: number, nn: number) => kk * n + nn : (kk: number, nn: number) => nn * k + kk;
  const data = new Uint8Array(n * blocks * blobSize);
  const scales = new Float32Array(n * blocks);
  const zeros = symmetric ? undefined : new Uint8Array(n * blocks);
  const block = new Uint8Array(blockSize);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let min = 0;
      let max = 0;
      for (let kk = start; kk < end; kk++) {
        const v = weight[at(kk, col)]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const params = quantParams(min, max, range, symmetric);
      for (let i = 0; i < blockSize; i++) {
        const kk = start + i;
        block[i] = kk < end ? quantizeValue(weight[at(kk, col)]!, params, range) : params.zeroPoint;
      }
      data.set(packBits(block, bits), (col * blocks + b) * blobSize);
      scales[col * blocks + b] = params.scale;
      if (zeros !== undefined) zeros[col * blocks + b] = params.zeroPoint;
    }
  }
  const result = { k, n, bits, blockSize, blocks, blobSize, data, scales };
  if (zeros === undefined) return result;
  const rowBytes = Math.ceil((blocks * bits) / 8);
  const zeroPoints = new Uint8Array(n * rowBytes);
  for (let col = 0; col < n; col++)
    zeroPoints.set(packBits(zeros.subarray(col * blocks, (col + 1) * blocks), bits), col * rowBytes);
  return { ...result, zeroPoints };
}

/** The float weight [K, N] that a MatMulNBits with these inputs multiplies by (for references and tests). */
export function dequantizeNBits(w: NBitsWeight): Float32Array {
  const { k, n, bits, blockSize, blocks, blobSize } = w;
  const out = new Float32Array(k * n);
  const rowBytes = Math.ceil((blocks * bits) / 8);
  const defaultZero = 2 ** (bits - 1);
  for (let col = 0; col < n; col++) {
    const zps =
      w.zeroPoints === undefined
        ? undefined
        : unpackBits(w.zeroPoints.subarray(col * rowBytes, (col + 1) * rowBytes), blocks, bits);
    for (let b = 0; b < blocks; b++) {
      const offset = (col * blocks + b) * blobSize;
      const q = unpackBits(w.data.subarray(offset, offset + blobSize), blockSize, bits);
      const scale = w.scales[col * blocks + b]!;
      const zp = zps === undefined ? defaultZero : zps[b]!;
      for (let i = 0; i < blockSize; i++) {
        const kk = b * blockSize + i;
        if (kk < k) out[kk * n + col] = (q[i]! - zp) * scale;
      }
    }
  }
  return out;
}
