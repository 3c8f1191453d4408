/**
 * ONNX tensor element types (TensorProto.DataType) and how TLC stores each in memory.
 * Numbers are the protobuf enum values; names are the enum names.
 */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;

export type DataTypeName = keyof typeof DataType;
export type DataType = (typeof DataType)[DataTypeName];

/** The in-memory array kind of a tensor's elements. Sub-byte types are packed, low bits first. */
export type Storage =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'string';

export interface DataTypeInfo {
  readonly name: DataTypeName;
  /** Bits per element on disk and in memory (complex types count both parts). */
  readonly bits: number;
  /** Typed array kind that holds the elements (bit patterns for float16, bfloat16, float8, packed for <8 bits). */
  readonly storage: Storage;
  /** Numbers per element in the storage array (2 for complex types). */
  readonly lanes: number;
  /** The onnxruntime-common tensor type name, where ORT's JavaScript API has one. */
  readonly ortType?: string;
  /** TensorProto field that holds the data when it is not in raw_data. */
  readonly protoField:
    | 'float_data'
    | 'int32_data'
    | 'int64_data'
    | 'double_data'
    | 'uint64_data'
    | 'string_data';
}

const info = (
  name: DataTypeName,
  bits: number,
  storage: Storage,
  protoField: DataTypeInfo['protoField'],
  ortType?: string,
  lanes = 1,
): DataTypeInfo =>
  ortType === undefined
    ? { name, bits, storage, lanes, protoField }
    : { name, bits, storage, lanes, protoField, ortType };

const TABLE: ReadonlyMap<number, DataTypeInfo> = new Map<number, DataTypeInfo>([
  [DataType.FLOAT, info('FLOAT', 32, 'float32', 'float_data', 'float32')],
  [DataType.UINT8, info('UINT8', 8, 'uint8', 'int32_data', 'uint8')],
  [DataType.INT8, info('INT8', 8, 'int8', 'int32_data', 'int8')],
  [DataType.UINT16, info('UINT16', 16, 'uint16', 'int32_data', 'uint16')],
  [DataType.INT16, info('INT16', 16, 'int16', 'int32_data', 'int16')],
  [DataType.INT32, info('INT32', 32, 'int32', 'int32_data', 'int32')],
  [DataType.INT64, info('INT64', 64, 'int64', 'int64_data', 'int64')],
  [DataType.STRING, info('STRING', 0, 'string', 'string_data', 'string')],
  [DataType.BOOL, info('BOOL', 8, 'uint8', 'int32_data', 'bool')],
  [DataType.FLOAT16, info('FLOAT16', 16, 'uint16', 'int32_data', 'float16')],
  [DataType.DOUBLE, info('DOUBLE', 64, 'float64', 'double_data', 'float64')],
  [DataType.UINT32, info('UINT32', 32, 'uint32', 'uint64_data', 'uint32')],
  [DataType.UINT64, info('UINT64', 64, 'uint64', 'uint64_data', 'uint64')],
  [DataType.COMPLEX64, info('COMPLEX64', 64, 'float32', 'float_data', undefined, 2)],
  [DataType.COMPLEX128, info('COMPLEX128', 128, 'float64', 'double_data', undefined, 2)],
  [DataType.BFLOAT16, info('BFLOAT16', 16, 'uint16', 'int32_data')],
  [DataType.FLOAT8E4M3FN, info('FLOAT8E4M3FN', 8, 'uint8', 'int32_data')],
  [DataType.FLOAT8E4M3FNUZ, info('FLOAT8E4M3FNUZ', 8, 'uint8', 'int32_data')],
  [DataType.FLOAT8E5M2, info('FLOAT8E5M2', 8, 'uint8', 'int32_data')],
  [DataType.FLOAT8E5M2FNUZ, info('FLOAT8E5M2FNUZ', 8, 'uint8', 'int32_data')],
  [DataType.UINT4, info('UINT4', 4, 'uint8', 'int32_data', 'uint4')],
  [DataType.INT4, info('INT4', 4, 'uint8', 'int32_data', 'int4')],
  [DataType.FLOAT4E2M1, info('FLOAT4E2M1', 4, 'uint8', 'int32_data')],
  [DataType.FLOAT8E8M0, info('FLOAT8E8M0', 8, 'uint8', 'int32_data')],
  [DataType.UINT2, info('UINT2', 2, 'uint8', 'int32_data')],
  [DataType.INT2, info('INT2', 2, 'uint8', 'int32_data')],
]);

export function isKnownDataType(code: number): code is DataType {
  return TABLE.has(code);
}

/** Facts about an element type; throws for UNDEFINED or a code this ONNX version does not define. */
export function dataTypeInfo(code: number): DataTypeInfo {
  const found = TABLE.get(code);
  if (found === undefined) throw new RangeError(`unknown ONNX data type ${code}`);
  return found;
}

export function dataTypeName(code: number): string {
  return TABLE.get(code)?.name ?? `UNKNOWN(${code})`;
}

/** Parses `FLOAT`, `float`, `float32`, `int64`… into a DataType code. */
export function parseDataType(name: string): DataType {
  const upper = name.toUpperCase();
  const alias: Record<string, DataTypeName> = {
    FLOAT32: 'FLOAT',
    FLOAT64: 'DOUBLE',
    FP32: 'FLOAT',
    FP16: 'FLOAT16',
    BF16: 'BFLOAT16',
  };
  const key = (alias[upper] ?? upper) as DataTypeName;
  const code = DataType[key];
  if (code === undefined) throw new RangeError(`unknown ONNX data type name "${name}"`);
  return code;
}

/** Bytes needed for `count` elements of this type (sub-byte types are packed and rounded up). */
export function byteLength(code: number, count: number): number {
  const { bits } = dataTypeInfo(code);
  if (bits === 0) throw new RangeError('byteLength is not defined for STRING tensors');
  return Math.ceil((count * bits) / 8);
}

/** Number of elements of a shape; 1 for a scalar. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The DataType for an onnxruntime-common tensor type name (float32, int64, …). */
export function dataTypeFromOrtType(ortType: string): DataType | undefined {
  for (const [code, info] of TABLE) if (info.ortType === ortType) return code as DataType;
  return undefined;
}
