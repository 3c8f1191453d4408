/**
 * protobufjs bindings for the ONNX schema. Decoded messages are protobufjs message instances: a field is an
 * own property only when it was on the wire (proto2 presence; absent message fields read as null from the
 * prototype), repeated fields are arrays, bytes are Buffer
 * views into the input (no copy), int64 fields are Long objects or numbers.
 */
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './schema.js';

/** protobufjs represents int64 as Long (when the long package is present) or as a plain number. */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}
export type Int64 = number | LongLike;

export interface PStringStringEntry {
  key?: string;
  value?: string;
}

export interface PTensor {
  dims?: Int64[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: Int64[];
  name?: string;
  doc_string?: string;
  raw_data?: Uint8Array;
  external_data?: PStringStringEntry[];
  data_location?: number;
  double_data?: number[];
  uint64_data?: Int64[];
  metadata_props?: PStringStringEntry[];
}

export interface PSparseTensor {
  values?: PTensor | null;
  indices?: PTensor | null;
  dims?: Int64[];
}

export interface PDimension {
  dim_value?: Int64;
  dim_param?: string;
  denotation?: string;
}

export interface PShape {
  dim?: PDimension[];
}

export interface PType {
  tensor_type?: { elem_type?: number; shape?: PShape | null } | null;
  sparse_tensor_type?: { elem_type?: number; shape?: PShape | null } | null;
  sequence_type?: { elem_type?: PType | null } | null;
  optional_type?: { elem_type?: PType | null } | null;
  map_type?: { key_type?: number; value_type?: PType | null } | null;
  opaque_type?: { domain?: string; name?: string } | null;
  denotation?: string;
}

export interface PValueInfo {
  name?: string;
  type?: PType | null;
  doc_string?: string;
  metadata_props?: PStringStringEntry[];
}

export interface PAttribute {
  name?: string;
  ref_attr_name?: string;
  doc_string?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: PTensor | null;
  g?: PGraph | null;
  sparse_tensor?: PSparseTensor | null;
  tp?: PType | null;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: PTensor[];
  graphs?: PGraph[];
  sparse_tensors?: PSparseTensor[];
  type_protos?: PType[];
}

export interface PNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  overload?: string;
  attribute?: PAttribute[];
  doc_string?: string;
  metadata_props?: PStringStringEntry[];
  device_configurations?: object[];
}

export interface PGraph {
  node?: PNode[];
  name?: string;
  initializer?: PTensor[];
  sparse_initializer?: PSparseTensor[];
  doc_string?: string;
  input?: PValueInfo[];
  output?: PValueInfo[];
  value_info?: PValueInfo[];
  quantization_annotation?: object[];
  metadata_props?: PStringStringEntry[];
}

export interface POpset {
  domain?: string;
  version?: Int64;
}

export interface PModel {
  ir_version?: Int64;
  opset_import?: POpset[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: PGraph | null;
  metadata_props?: PStringStringEntry[];
  training_info?: object[];
  functions?: object[];
  configuration?: object[];
}

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const modelType = root.lookupType('onnx.ModelProto');
const tensorType = root.lookupType('onnx.TensorProto');

/** Decodes ModelProto bytes; throws protobufjs errors on malformed input (callers wrap them). */
export function decodeModelProto(bytes: Uint8Array): PModel {
  return modelType.decode(bytes) as unknown as PModel;
}

/** Encodes a ModelProto-shaped object (as built by encode.ts). */
export function encodeModelProto(message: PModel): Uint8Array {
  return modelType.encode(message as unknown as protobuf.Message).finish();
}

/** Encodes one TensorProto-shaped object; used by tests that need data in the typed fields. */
export function encodeTensorProto(message: PTensor): Uint8Array {
  return tensorType.encode(message as unknown as protobuf.Message).finish();
}

/** Converts a protobufjs int64 to a bigint, exactly. */
export function int64ToBigInt(value: Int64 | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** Converts a protobufjs int64 to a number; throws if it is not a safe integer. */
export function int64ToNumber(value: Int64 | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const big = int64ToBigInt(value);
  const n = Number(big);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} = ${big} is outside the safe integer range`);
  return n;
}

/** A protobufjs Long from a bigint (protobufjs accepts decimal strings for int64 fields too). */
export function bigIntToInt64(value: bigint): Int64 {
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  const u = BigInt.asUintN(64, value);
  return {
    low: Number(u & 0xffffffffn) | 0,
    high: Number(u >> 32n) | 0,
    unsigned: value > 0x7fffffffffffffffn,
  };
}
