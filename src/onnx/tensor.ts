/** Tensor construction and byte-level views. */
import { byteLength, DataType, dataTypeInfo, numel, type Storage } from './dtype.js';
import { toBfloat16Array, toFloat16Array } from './float16.js';
import { packInt4, packUint4 } from './int4.js';
import type { Tensor, TensorData } from './ir.js';

type NumericData = Exclude<TensorData, readonly Uint8Array[]>;

/** Number of storage elements (not tensor elements) a tensor of this type and shape needs. */
export function storageLength(dataType: DataType, dims: readonly number[]): number {
  const info = dataTypeInfo(dataType);
  const count = numel(dims);
  if (info.bits < 8 && info.bits > 0) return byteLength(dataType, count);
  return count * info.lanes;
}

type StorageConstructor = new (lengthOrBuffer: number | ArrayBuffer) => NumericData;

const STORAGE_CONSTRUCTORS: Readonly<Record<Exclude<Storage, 'string'>, StorageConstructor>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** An empty (zero-filled) storage array of the given kind. */
export function allocateStorage(storage: Exclude<Storage, 'string'>, length: number): NumericData {
  return new STORAGE_CONSTRUCTORS[storage](length);
}

function storageOf(data: TensorData): Storage {
  if (Array.isArray(data)) return 'string';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  throw new TypeError('tensor data must be a typed array or an array of byte strings');
}

/**
 * Makes a tensor after checking that the data's array kind and length fit the type and shape.
 * Data is taken as is (not copied).
 */
export function makeTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  data: TensorData,
): Tensor {
  const info = dataTypeInfo(dataType);
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`tensor "${name}": invalid dimension ${d}`);
  }
  const kind = storageOf(data);
  if (kind !== info.storage) {
    throw new TypeError(`tensor "${name}": ${info.name} data must be stored as ${info.storage}, got ${kind}`);
  }
  const expected = info.storage === 'string' ? numel(dims) : storageLength(dataType, dims);
  if (data.length !== expected) {
    throw new RangeError(
      `tensor "${name}": ${info.name}${JSON.stringify(dims)} needs ${expected} stored elements, got ${data.length}`,
    );
  }
  return { name, dataType, dims: [...dims], data };
}

export function float32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.FLOAT, dims, Float32Array.from(values));
}

export function float16Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.FLOAT16, dims, toFloat16Array(values));
}

export function bfloat16Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.BFLOAT16, dims, toBfloat16Array(values));
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number | bigint>,
): Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return makeTensor(name, DataType.INT64, dims, data);
}

export function int32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.INT32, dims, Int32Array.from(values));
}

export function int8Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.INT8, dims, Int8Array.from(values));
}

export function uint8Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.UINT8, dims, Uint8Array.from(values));
}

export function boolTensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<boolean | number>,
): Tensor {
  return makeTensor(name, DataType.BOOL, dims, Uint8Array.from(Array.from(values, (v) => (v ? 1 : 0))));
}

export function int4Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.INT4, dims, packInt4(values));
}

export function uint4Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.UINT4, dims, packUint4(values));
}

export function stringTensor(name: string, dims: readonly number[], values: readonly string[]): Tensor {
  const encoder = new TextEncoder();
  return makeTensor(
    name,
    DataType.STRING,
    dims,
    values.map((s) => encoder.encode(s)),
  );
}

/** A tensor of any numeric type from plain numbers, converted to the type's storage (float16 bits, packed int4…). */
export function tensorFromNumbers(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: ArrayLike<number>,
): Tensor {
  switch (dataType) {
    case DataType.FLOAT16:
      return makeTensor(name, dataType, dims, toFloat16Array(values));
    case DataType.BFLOAT16:
      return makeTensor(name, dataType, dims, toBfloat16Array(values));
    case DataType.INT4:
      return makeTensor(name, dataType, dims, packInt4(values));
    case DataType.UINT4:
      return makeTensor(name, dataType, dims, packUint4(values));
    case DataType.BOOL:
      return makeTensor(name, dataType, dims, Uint8Array.from(Array.from(values, (v) => (v ? 1 : 0))));
    case DataType.INT64:
      return makeTensor(
        name,
        dataType,
        dims,
        BigInt64Array.from(Array.from(values), (v) => BigInt(v)),
      );
    case DataType.UINT64:
      return makeTensor(
        name,
        dataType,
        dims,
        BigUint64Array.from(Array.from(values), (v) => BigInt(v)),
      );
    default: {
      const info = dataTypeInfo(dataType);
      if (info.storage === 'string' || info.bits < 8 || info.lanes !== 1) {
        throw new TypeError(`tensor "${name}": ${info.name} tensors cannot be made from plain numbers`);
      }
      const data = allocateStorage(info.storage, values.length) as Float32Array;
      data.set(Array.from(values));
      return makeTensor(name, dataType, dims, data);
    }
  }
}

/** The tensor's elements as little-endian bytes, without copying (a view of the same memory). */
export function tensorBytes(tensor: Tensor): Uint8Array {
  const { data } = tensor;
  if (Array.isArray(data)) throw new TypeError(`tensor "${tensor.name}": STRING tensors have no raw bytes`);
  const view = data as NumericData;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Total bytes of a tensor's data (string tensors: the sum of their byte strings). */
export function tensorByteLength(tensor: Tensor): number {
  const { data } = tensor;
  if (Array.isArray(data)) return data.reduce((sum: number, s: Uint8Array) => sum + s.length, 0);
  return (data as NumericData).byteLength;
}

/**
 * Builds the storage array of a tensor from little-endian bytes, copying them into fresh aligned memory.
 * (Protobuf puts raw_data at arbitrary offsets, and typed arrays need aligned ones.)
 */
export function dataFromBytes(
  dataType: DataType,
  dims: readonly number[],
  bytes: Uint8Array,
  name: string,
  owned = false,
): TensorData {
  const info = dataTypeInfo(dataType);
  if (info.storage === 'string')
    throw new TypeError(`tensor "${name}": STRING data cannot come from raw bytes`);
  const length = storageLength(dataType, dims);
  if (owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    // The caller gives up the buffer (a fresh read of external data): view it instead of copying.
    const view = viewStorage(info.storage, bytes.buffer as ArrayBuffer, length);
    if (view !== undefined) return view;
  }
  const out = allocateStorage(info.storage, length);
  if (out.byteLength !== bytes.byteLength) {
    throw new RangeError(
      `tensor "${name}": ${info.name}${JSON.stringify(dims)} needs ${out.byteLength} bytes, the file holds ${bytes.byteLength}`,
    );
  }
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

function viewStorage(
  storage: Exclude<Storage, 'string'>,
  buffer: ArrayBuffer,
  length: number,
): NumericData | undefined {
  try {
    const view = new STORAGE_CONSTRUCTORS[storage](buffer);
    return view.length === length ? view : undefined;
  } catch {
    return undefined; // byte length not a multiple of the element size: the caller reports it
  }
}

/** Element-wise equality of two tensors' type, shape and bytes (NaN payloads included). */
export function tensorsEqual(a: Tensor, b: Tensor): boolean {
  if (a.dataType !== b.dataType || a.dims.length !== b.dims.length) return false;
  if (a.dims.some((d, i) => d !== b.dims[i])) return false;
  if (Array.isArray(a.data) || Array.isArray(b.data)) {
    if (!Array.isArray(a.data) || !Array.isArray(b.data) || a.data.length !== b.data.length) return false;
    const bs = b.data as readonly Uint8Array[];
    return (a.data as readonly Uint8Array[]).every((s, i) => Buffer.compare(s, bs[i]!) === 0);
  }
  return Buffer.compare(tensorBytes(a), tensorBytes(b)) === 0;
}
