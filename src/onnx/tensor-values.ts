/** Reading tensor values as ordinary numbers, whatever their storage. */
import { DataType, numel } from './dtype.js';
import { fromBfloat16Array, fromFloat16Array } from './float16.js';
import { unpackInt4, unpackUint4 } from './int4.js';
import type { Tensor } from './ir.js';

/** Float32 values of a floating-point tensor: the same array for FLOAT, a converted copy otherwise. */
export function tensorToFloat32(tensor: Tensor): Float32Array {
  switch (tensor.dataType) {
    case DataType.FLOAT:
      return tensor.data as Float32Array;
    case DataType.FLOAT16:
      return fromFloat16Array(tensor.data as Uint16Array);
    case DataType.BFLOAT16:
      return fromBfloat16Array(tensor.data as Uint16Array);
    case DataType.DOUBLE:
      return Float32Array.from(tensor.data as Float64Array);
    default:
      throw new TypeError(`tensor "${tensor.name}" is not floating point (data type ${tensor.dataType})`);
  }
}

/** Integer values of an integer tensor as numbers (int64 values must be safe integers). */
export function tensorToNumbers(tensor: Tensor): number[] {
  switch (tensor.dataType) {
    case DataType.INT4:
      return Array.from(unpackInt4(tensor.data as Uint8Array, numel(tensor.dims)));
    case DataType.UINT4:
      return Array.from(unpackUint4(tensor.data as Uint8Array, numel(tensor.dims)));
    case DataType.INT64:
    case DataType.UINT64:
      return Array.from(tensor.data as BigInt64Array, (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n))
          throw new RangeError(`tensor "${tensor.name}": ${v} is not a safe integer`);
        return n;
      });
    default:
      if (Array.isArray(tensor.data)) throw new TypeError(`tensor "${tensor.name}" holds strings`);
      return Array.from(tensor.data as ArrayLike<number>);
  }
}
