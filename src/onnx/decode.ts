/** Protobuf messages → TLC's in-memory model. */
import { TlcError } from '../errors/index.js';
import { DataType, dataTypeInfo, isKnownDataType, numel } from './dtype.js';
import type {
  Attribute,
  Dim,
  Graph,
  Metadata,
  Model,
  Node,
  Opaque,
  SparseTensor,
  Tensor,
  TensorData,
  TypeInfo,
  ValueInfo,
} from './ir.js';
import {
  int64ToBigInt,
  int64ToNumber,
  type PAttribute,
  type PGraph,
  type PModel,
  type PNode,
  type PSparseTensor,
  type PStringStringEntry,
  type PTensor,
  type PType,
  type PValueInfo,
} from './proto/codec.js';
import { allocateStorage, dataFromBytes, storageLength } from './tensor.js';

/** Where a tensor's bytes live when they are outside the .onnx file. */
export interface ExternalDataRef {
  readonly location: string;
  readonly offset: number;
  /** undefined: to the end of the file. */
  readonly length?: number;
}

/** Reads the bytes of one externally stored tensor. */
export type ExternalDataReader = (ref: ExternalDataRef, tensorName: string) => Uint8Array;

export interface DecodeContext {
  /** Named in error messages. */
  readonly source: string;
  readonly readExternal?: ExternalDataReader;
}

const has = (o: object, key: string): boolean => Object.hasOwn(o, key);

function invalid(ctx: DecodeContext, message: string): never {
  throw new TlcError('ONNX_INVALID_MODEL', `${ctx.source}: ${message}`);
}

function opaque(message: object): Opaque {
  return message as unknown as Opaque;
}

function metadataOf(entries: PStringStringEntry[] | undefined): Metadata | undefined {
  if (entries === undefined || entries.length === 0) return undefined;
  return new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
}

/** Copies optional string fields that are present on the wire. */
function optionalStrings<K extends string>(src: object, map: Record<K, string>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [to, from] of Object.entries(map) as [K, string][]) {
    const v = (src as Record<string, unknown>)[from];
    if (has(src, from) && typeof v === 'string') out[to] = v;
  }
  return out;
}

function externalRef(t: PTensor, ctx: DecodeContext, name: string): ExternalDataRef {
  const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '')
    invalid(ctx, `tensor "${name}" is external but has no location`);
  const num = (key: string): number | undefined => {
    const raw = entries.get(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0)
      invalid(ctx, `tensor "${name}": external data ${key} "${raw}" is not a byte count`);
    return n;
  };
  const length = num('length');
  return length === undefined
    ? { location, offset: num('offset') ?? 0 }
    : { location, offset: num('offset') ?? 0, length };
}

function typedFieldData(
  t: PTensor,
  dataType: DataType,
  dims: readonly number[],
  name: string,
  ctx: DecodeContext,
): TensorData {
  const info = dataTypeInfo(dataType);
  const count = numel(dims);
  const field = info.protoField;
  const values = (t as Record<string, unknown>)[field] as unknown[] | undefined;
  const present = values !== undefined && values.length > 0;
  if (!present) {
    if (count === 0) return info.storage === 'string' ? [] : allocateStorage(info.storage, 0);
    invalid(ctx, `tensor "${name}" (${info.name}${JSON.stringify(dims)}) has no data`);
  }
  switch (field) {
    case 'string_data':
      return (values as Uint8Array[]).map((s) => Uint8Array.from(s));
    case 'float_data':
      return Float32Array.from(values as number[]);
    case 'double_data':
      return Float64Array.from(values as number[]);
    case 'int64_data':
      return BigInt64Array.from(t.int64_data ?? [], (v) => BigInt.asIntN(64, int64ToBigInt(v)));
    case 'uint64_data': {
      const big = (t.uint64_data ?? []).map((v) => BigInt.asUintN(64, int64ToBigInt(v)));
      return info.storage === 'uint32' ? Uint32Array.from(big, Number) : BigUint64Array.from(big);
    }
    case 'int32_data': {
      const ints = values as number[];
      const length = storageLength(dataType, dims);
      if (ints.length !== length) {
        invalid(ctx, `tensor "${name}" has ${ints.length} int32_data entries, ${length} expected`);
      }
      const out = allocateStorage(info.storage === 'string' ? 'uint8' : info.storage, length);
      // Typed-array stores truncate to the storage width, which is what int32_data means for narrow types
      // (and for packed 4/2-bit types each entry holds one packed byte).
      (out as Int32Array).set(info.bits < 8 ? ints.map((v) => v & 0xff) : ints);
      return out;
    }
    default: {
      const never: never = field;
      throw new Error(`unhandled proto field ${String(never)}`);
    }
  }
}

export function decodeTensor(t: PTensor, ctx: DecodeContext): Tensor {
  const name = t.name ?? '';
  const code = t.data_type ?? 0;
  if (!isKnownDataType(code) || code === DataType.UNDEFINED) {
    throw new TlcError('ONNX_UNSUPPORTED', `${ctx.source}: tensor "${name}" has unknown data type ${code}`);
  }
  const dims = (t.dims ?? []).map((d) => int64ToNumber(d, `tensor "${name}" dimension`));
  if (dims.some((d) => d < 0))
    invalid(ctx, `tensor "${name}" has a negative dimension ${JSON.stringify(dims)}`);
  const isExternal = t.data_location === 1 || (t.external_data !== undefined && t.external_data.length > 0);
  let data: TensorData;
  try {
    if (isExternal) {
      if (code === DataType.STRING) invalid(ctx, `STRING tensor "${name}" cannot use external data`);
      const ref = externalRef(t, ctx, name);
      if (ctx.readExternal === undefined) {
        throw new TlcError(
          'ONNX_EXTERNAL_DATA',
          `${ctx.source}: tensor "${name}" is stored in "${ref.location}"; load the model from its file path so the data can be found`,
        );
      }
      data = dataFromBytes(code, dims, ctx.readExternal(ref, name), name, true);
    } else if (has(t, 'raw_data') && t.raw_data !== undefined && code !== DataType.STRING) {
      data = dataFromBytes(code, dims, t.raw_data, name);
    } else {
      data = typedFieldData(t, code, dims, name, ctx);
    }
  } catch (error) {
    if (error instanceof RangeError) invalid(ctx, error.message);
    throw error;
  }
  const extra = optionalStrings(t, { docString: 'doc_string' });
  const metadata = metadataOf(t.metadata_props);
  return { name, dataType: code, dims, data, ...extra, ...(metadata && { metadata }) };
}

function decodeSparse(s: PSparseTensor, ctx: DecodeContext): SparseTensor {
  if (s.values == null || s.indices == null) invalid(ctx, 'a sparse tensor lacks values or indices');
  return {
    values: decodeTensor(s.values, ctx),
    indices: decodeTensor(s.indices, ctx),
    dims: (s.dims ?? []).map((d) => int64ToNumber(d, 'sparse tensor dimension')),
  };
}

function decodeShape(shape: { dim?: { dim_value?: unknown; dim_param?: string; denotation?: string }[] }) {
  const dims: Dim[] = [];
  const denotations: (string | undefined)[] = [];
  for (const d of shape.dim ?? []) {
    if (has(d, 'dim_value')) dims.push(int64ToNumber(d.dim_value as number, 'shape dimension'));
    else if (has(d, 'dim_param')) dims.push(d.dim_param ?? '');
    else dims.push(null);
    denotations.push(has(d, 'denotation') ? d.denotation : undefined);
  }
  const anyDenotation = denotations.some((x) => x !== undefined);
  return { shape: dims, ...(anyDenotation && { dimDenotations: denotations }) };
}

export function decodeType(t: PType): TypeInfo {
  const denotation = has(t, 'denotation') ? { denotation: t.denotation ?? '' } : {};
  const elem = (e: PType | null | undefined) => (e == null ? {} : { elem: decodeType(e) });
  if (t.tensor_type != null || t.sparse_tensor_type != null) {
    const kind = t.tensor_type != null ? 'tensor' : 'sparse_tensor';
    const tt = (t.tensor_type ?? t.sparse_tensor_type)!;
    const shape = tt.shape == null ? {} : decodeShape(tt.shape);
    return { kind, elemType: (tt.elem_type ?? 0) as DataType, ...shape, ...denotation };
  }
  if (t.sequence_type != null) return { kind: 'sequence', ...elem(t.sequence_type.elem_type), ...denotation };
  if (t.optional_type != null) return { kind: 'optional', ...elem(t.optional_type.elem_type), ...denotation };
  if (t.map_type != null) {
    const value = t.map_type.value_type == null ? {} : { value: decodeType(t.map_type.value_type) };
    return { kind: 'map', keyType: (t.map_type.key_type ?? 0) as DataType, ...value, ...denotation };
  }
  if (t.opaque_type != null)
    return {
      kind: 'opaque',
      ...optionalStrings(t.opaque_type, { domain: 'domain', name: 'name' }),
      ...denotation,
    };
  return { kind: 'none', ...denotation };
}

function decodeValueInfo(v: PValueInfo): ValueInfo {
  const metadata = metadataOf(v.metadata_props);
  return {
    name: v.name ?? '',
    ...(v.type != null && { type: decodeType(v.type) }),
    ...optionalStrings(v, { docString: 'doc_string' }),
    ...(metadata && { metadata }),
  };
}

/** Attribute type codes (AttributeProto.AttributeType). */
const ATTRIBUTE_TYPES: Record<number, Attribute['type']> = {
  1: 'FLOAT',
  2: 'INT',
  3: 'STRING',
  4: 'TENSOR',
  5: 'GRAPH',
  11: 'SPARSE_TENSOR',
  13: 'TYPE_PROTO',
  6: 'FLOATS',
  7: 'INTS',
  8: 'STRINGS',
  9: 'TENSORS',
  10: 'GRAPHS',
  12: 'SPARSE_TENSORS',
  14: 'TYPE_PROTOS',
};

/** IR version 1 had no type field: find the one field in use. */
function inferAttributeType(a: PAttribute): Attribute['type'] | undefined {
  const single: [keyof PAttribute, Attribute['type']][] = [
    ['f', 'FLOAT'],
    ['i', 'INT'],
    ['s', 'STRING'],
    ['t', 'TENSOR'],
    ['g', 'GRAPH'],
    ['sparse_tensor', 'SPARSE_TENSOR'],
    ['tp', 'TYPE_PROTO'],
  ];
  for (const [field, type] of single) if (has(a, field)) return type;
  const lists: [keyof PAttribute, Attribute['type']][] = [
    ['floats', 'FLOATS'],
    ['ints', 'INTS'],
    ['strings', 'STRINGS'],
    ['tensors', 'TENSORS'],
    ['graphs', 'GRAPHS'],
    ['sparse_tensors', 'SPARSE_TENSORS'],
    ['type_protos', 'TYPE_PROTOS'],
  ];
  for (const [field, type] of lists) if (((a[field] as unknown[] | undefined) ?? []).length > 0) return type;
  return undefined;
}

function decodeAttribute(a: PAttribute, ctx: DecodeContext, owner: string): Attribute {
  const doc = optionalStrings(a, { docString: 'doc_string' });
  if (has(a, 'ref_attr_name') && a.ref_attr_name) {
    return { type: 'REF', refAttrName: a.ref_attr_name, refType: a.type ?? 0, ...doc };
  }
  const type = (a.type ? ATTRIBUTE_TYPES[a.type] : undefined) ?? inferAttributeType(a);
  if (type === undefined)
    invalid(ctx, `attribute "${a.name ?? ''}" of ${owner} has unknown type ${a.type ?? 'UNDEFINED'}`);
  switch (type) {
    case 'FLOAT':
      return { type, value: a.f ?? 0, ...doc };
    case 'INT':
      return { type, value: int64ToBigInt(a.i), ...doc };
    case 'STRING':
      return { type, value: Uint8Array.from(a.s ?? []), ...doc };
    case 'TENSOR':
      if (a.t == null) invalid(ctx, `attribute "${a.name}" of ${owner} is a TENSOR without a tensor`);
      return { type, value: decodeTensor(a.t, ctx), ...doc };
    case 'GRAPH':
      if (a.g == null) invalid(ctx, `attribute "${a.name}" of ${owner} is a GRAPH without a graph`);
      return { type, value: decodeGraph(a.g, ctx), ...doc };
    case 'SPARSE_TENSOR':
      if (a.sparse_tensor == null) invalid(ctx, `attribute "${a.name}" of ${owner} lacks its sparse tensor`);
      return { type, value: decodeSparse(a.sparse_tensor, ctx), ...doc };
    case 'TYPE_PROTO':
      return { type, value: decodeType(a.tp ?? {}), ...doc };
    case 'FLOATS':
      return { type, value: [...(a.floats ?? [])], ...doc };
    case 'INTS':
      return { type, value: (a.ints ?? []).map((v) => int64ToBigInt(v)), ...doc };
    case 'STRINGS':
      return { type, value: (a.strings ?? []).map((s) => Uint8Array.from(s)), ...doc };
    case 'TENSORS':
      return { type, value: (a.tensors ?? []).map((t) => decodeTensor(t, ctx)), ...doc };
    case 'GRAPHS':
      return { type, value: (a.graphs ?? []).map((g) => decodeGraph(g, ctx)), ...doc };
    case 'SPARSE_TENSORS':
      return { type, value: (a.sparse_tensors ?? []).map((s) => decodeSparse(s, ctx)), ...doc };
    case 'TYPE_PROTOS':
      return { type, value: (a.type_protos ?? []).map(decodeType), ...doc };
    case 'REF':
      throw new Error('unreachable: REF is decided above');
    default: {
      const never: never = type;
      throw new Error(`unhandled attribute type ${String(never)}`);
    }
  }
}

function decodeNode(n: PNode, ctx: DecodeContext): Node {
  const owner = `node "${n.name ?? ''}" (${n.op_type ?? '?'})`;
  if (!n.op_type) invalid(ctx, `${owner} has no op_type`);
  const attributes: Record<string, Attribute> = {};
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    if (Object.hasOwn(attributes, name)) invalid(ctx, `${owner} repeats attribute "${name}"`);
    attributes[name] = decodeAttribute(a, ctx, owner);
  }
  const metadata = metadataOf(n.metadata_props);
  const devices = n.device_configurations ?? [];
  return {
    name: n.name ?? '',
    opType: n.op_type,
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
    ...optionalStrings(n, { docString: 'doc_string', overload: 'overload' }),
    ...(metadata && { metadata }),
    ...(devices.length > 0 && { deviceConfigurations: devices.map(opaque) }),
  };
}

export function decodeGraph(g: PGraph, ctx: DecodeContext): Graph {
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) {
    const tensor = decodeTensor(t, ctx);
    if (initializers.has(tensor.name))
      invalid(ctx, `graph "${g.name ?? ''}" has two initializers named "${tensor.name}"`);
    initializers.set(tensor.name, tensor);
  }
  const metadata = metadataOf(g.metadata_props);
  const annotations = g.quantization_annotation ?? [];
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map((n) => decodeNode(n, ctx)),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    valueInfo: (g.value_info ?? []).map(decodeValueInfo),
    initializers,
    sparseInitializers: (g.sparse_initializer ?? []).map((s) => decodeSparse(s, ctx)),
    ...optionalStrings(g, { docString: 'doc_string' }),
    ...(metadata && { metadata }),
    ...(annotations.length > 0 && { quantizationAnnotation: annotations.map(opaque) }),
  };
}

export function decodeModelMessage(m: PModel, ctx: DecodeContext): Model {
  if (m.graph == null) invalid(ctx, 'the model has no graph (is this an ONNX model file?)');
  const irVersion = int64ToNumber(m.ir_version, 'ir_version');
  if (irVersion <= 0) invalid(ctx, `ir_version ${irVersion} is not valid (is this an ONNX model file?)`);
  const opsetImports = new Map<string, number>();
  for (const o of m.opset_import ?? [])
    opsetImports.set(o.domain ?? '', int64ToNumber(o.version, 'opset version'));
  const metadata = metadataOf(m.metadata_props);
  const list = (xs: object[] | undefined) => (xs !== undefined && xs.length > 0 ? xs.map(opaque) : undefined);
  const functions = list(m.functions);
  const trainingInfo = list(m.training_info);
  const configuration = list(m.configuration);
  return {
    irVersion,
    opsetImports,
    ...optionalStrings(m, {
      producerName: 'producer_name',
      producerVersion: 'producer_version',
      domain: 'domain',
      docString: 'doc_string',
    }),
    ...(has(m, 'model_version') && { modelVersion: int64ToBigInt(m.model_version) }),
    graph: decodeGraph(m.graph, ctx),
    ...(metadata && { metadata }),
    ...(functions && { functions }),
    ...(trainingInfo && { trainingInfo }),
    ...(configuration && { configuration }),
  };
}
