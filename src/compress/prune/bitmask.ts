/**
 * The compact storage of a sparse constant: its non-fill elements in order, preceded by the fill value, and
 * a bitmask (bit i of byte ⌊i/8⌋, low bit first: 1 where element i is not the fill). Works on bit patterns
 * of any element type of 8 to 64 bits, so float32, float16, int8 (after quantization)… all round-trip exactly
 * (−0 and NaN payloads included).
 */
import { dataTypeInfo, numel } from '../../onnx/dtype.js';
import type { Tensor, TensorData } from '../../onnx/ir.js';
import { allocateStorage } from '../../onnx/tensor.js';

type Bits = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** The element bit patterns of numeric storage, as unsigned integers of the element's width (no copy). */
export function bitView(data: TensorData, bytesPerElement: number): Bits {
  if (Array.isArray(data)) throw new TypeError('string tensors have no bit patterns');
  const { buffer, byteOffset, byteLength } = data as Exclude<TensorData, readonly Uint8Array[]>;
  switch (bytesPerElement) {
    case 1:
      return new Uint8Array(buffer, byteOffset, byteLength);
    case 2:
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 4:
      return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case 8:
      return new BigUint64Array(buffer, byteOffset, byteLength / 8);
    default:
      throw new TypeError(`no bit view for ${bytesPerElement}-byte elements`);
  }
}

/** Bytes per element for types this encoding supports (whole bytes, one lane, not strings); else undefined. */
export function encodableWidth(tensor: Tensor): number | undefined {
  const info = dataTypeInfo(tensor.dataType);
  if (info.storage === 'string' || info.lanes !== 1 || info.bits < 8 || info.bits % 8 !== 0) return undefined;
  return info.bits / 8;
}

/**
 * The value pruned elements hold: the most frequent byte for 1-byte types (an int8/uint8 weight's zero point,
 * whatever quantization chose), all-zero bits otherwise (+0 for floats).
 */
export function fillBits(tensor: Tensor): number {
  const width = encodableWidth(tensor);
  if (width !== 1) return 0;
  const bytes = bitView(tensor.data, 1) as Uint8Array;
  const counts = new Uint32Array(256);
  for (let i = 0; i < bytes.length; i++) counts[bytes[i]!]!++;
  let best = 0;
  for (let v = 1; v < 256; v++) if (counts[v]! > counts[best]!) best = v;
  return best;
}

/** Elements that differ from the fill. */
export function countNonFill(tensor: Tensor, fill: number): number {
  const width = encodableWidth(tensor);
  if (width === undefined) throw new TypeError(`tensor "${tensor.name}": element type cannot be encoded`);
  const bits = bitView(tensor.data, width);
  let nnz = 0;
  if (bits instanceof BigUint64Array) {
    const f = BigInt(fill);
    for (let i = 0; i < bits.length; i++) if (bits[i] !== f) nnz++;
  } else {
    for (let i = 0; i < bits.length; i++) if (bits[i] !== fill) nnz++;
  }
  return nnz;
}

export interface BitmaskEncoding {
  /** [nnz + 1] elements of the tensor's type: the fill value, then the non-fill elements in order. */
  readonly values: TensorData;
  /** ⌈n/8⌉ bytes. */
  readonly mask: Uint8Array;
  readonly nnz: number;
}

export function encodeBitmask(tensor: Tensor, fill: number): BitmaskEncoding {
  const width = encodableWidth(tensor);
  const info = dataTypeInfo(tensor.dataType);
  if (width === undefined || info.storage === 'string') {
    throw new TypeError(`tensor "${tensor.name}": element type cannot be encoded`);
  }
  const n = numel(tensor.dims);
  const src = bitView(tensor.data, width);
  const nnz = countNonFill(tensor, fill);
  const values = allocateStorage(info.storage, nnz + 1);
  const dst = bitView(values, width);
  const mask = new Uint8Array(Math.ceil(n / 8));
  if (src instanceof BigUint64Array) {
    const f = BigInt(fill);
    const out = dst as BigUint64Array;
    out[0] = f;
    let k = 1;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v === f) continue;
      out[k++] = v;
      mask[i >>> 3]! |= 1 << (i & 7);
    }
  } else {
    const out = dst as Uint8Array | Uint16Array | Uint32Array;
    out[0] = fill;
    let k = 1;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v === fill) continue;
      out[k++] = v;
      mask[i >>> 3]! |= 1 << (i & 7);
    }
  }
  return { values, mask, nnz };
}

/** The inverse of encodeBitmask, in JavaScript (the graph does the same at load): storage of n elements. */
export function decodeBitmask(tensor: Tensor, encoding: BitmaskEncoding): TensorData {
  const info = dataTypeInfo(tensor.dataType);
  const width = encodableWidth(tensor);
  if (width === undefined || info.storage === 'string') throw new TypeError('element type cannot be decoded');
  const n = numel(tensor.dims);
  const out = allocateStorage(info.storage, n);
  // Same-width unsigned views; BigUint64Array shares the code below through these casts (bigint in, bigint out).
  const dst = bitView(out, width) as Uint32Array;
  const src = bitView(encoding.values, width) as Uint32Array;
  if (src[0] !== 0 && (src[0] as unknown) !== 0n) dst.fill(src[0]!);
  const mask = encoding.mask;
  let k = 1;
  for (let j = 0; j < mask.length; j++) {
    let byte = mask[j]!;
    const base = j << 3;
    while (byte !== 0) {
      const low = byte & -byte; // lowest set bit first: elements in order
      dst[base + 31 - Math.clz32(low)] = src[k++]!;
      byte ^= low;
    }
  }
  return out;
}
