/** Selecting rows, columns or last-axis entries of constant tensors (any numeric element type), and L2 norms. */
import { dataTypeInfo } from '../../../onnx/dtype.js';
import type { Tensor, TensorData } from '../../../onnx/ir.js';
import { allocateStorage, makeTensor } from '../../../onnx/tensor.js';
import { tensorToFloat32 } from '../../../onnx/tensor-values.js';

type Numeric = Exclude<TensorData, readonly Uint8Array[]>;

function storage(t: Tensor, length: number): Numeric {
  const info = dataTypeInfo(t.dataType);
  if (info.storage === 'string' || info.lanes !== 1 || info.bits < 8) {
    throw new TypeError(`tensor "${t.name}": ${info.name} elements cannot be sliced`);
  }
  return allocateStorage(info.storage, length);
}

/** Entries `keep` along the last axis (columns of a 2-D matrix, entries of a vector, [1,…,1,F] too). */
export function selectLast(t: Tensor, keep: readonly number[]): Tensor {
  const last = t.dims[t.dims.length - 1] ?? 1;
  const rows = t.dims.slice(0, -1).reduce((a, b) => a * b, 1);
  const src = t.data as Numeric;
  const out = storage(t, rows * keep.length);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < keep.length; j++) {
      (out as Float32Array)[r * keep.length + j] = (src as Float32Array)[r * last + keep[j]!]!;
    }
  }
  return makeTensor(t.name, t.dataType, [...t.dims.slice(0, -1), keep.length], out);
}

/** Entries `keep` along `axis` (negative: from the end) of a tensor of any rank. */
export function selectAxis(t: Tensor, axis: number, keep: readonly number[]): Tensor {
  const a = axis < 0 ? t.dims.length + axis : axis;
  const outer = t.dims.slice(0, a).reduce((x, y) => x * y, 1);
  const size = t.dims[a]!;
  const inner = t.dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const src = t.data as Float32Array;
  const out = storage(t, outer * keep.length * inner) as Float32Array;
  for (let o = 0; o < outer; o++) {
    keep.forEach((k, i) => {
      const from = (o * size + k) * inner;
      out.set(src.subarray(from, from + inner), (o * keep.length + i) * inner);
    });
  }
  const dims = [...t.dims];
  dims[a] = keep.length;
  return makeTensor(t.name, t.dataType, dims, out);
}

/** Rows `keep` of a 2-D matrix. */
export function selectRows(t: Tensor, keep: readonly number[]): Tensor {
  return selectAxis(t, 0, keep);
}

/** Σ w² per column of a 2-D float matrix, over columns [from, from + count). */
export function columnSquares(t: Tensor, from: number, count: number): Float64Array {
  const [rows, cols] = t.dims as [number, number];
  const v = tensorToFloat32(t);
  const out = new Float64Array(count);
  for (let r = 0; r < rows; r++) {
    const base = r * cols + from;
    for (let j = 0; j < count; j++) {
      const x = v[base + j]!;
      out[j]! += x * x;
    }
  }
  return out;
}

/** Σ w² per row of a 2-D float matrix. */
export function rowSquares(t: Tensor): Float64Array {
  const [rows, cols] = t.dims as [number, number];
  const v = tensorToFloat32(t);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += v[r * cols + j]! ** 2;
    out[r] = s;
  }
  return out;
}

/** The `remove` lowest-scoring units (ties: the lower index goes first); returns the kept ones, ascending. */
export function keepHighest(
  scores: ArrayLike<number>,
  remove: number,
): { kept: number[]; removed: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]! || a - b,
  );
  const removed = order.slice(0, remove).sort((a, b) => a - b);
  const gone = new Set(removed);
  const kept = Array.from({ length: scores.length }, (_, i) => i).filter((i) => !gone.has(i));
  return { kept, removed };
}
