import { type DecodeContext, has, invalid, metadataOf, optionalStrings } from './decode-context.js';
import { decodeSparse, decodeTensor } from './decode-tensor.js';
import type { DataType } from './dtype.js';
import type { Attribute, Dim, Graph, Model, Node, Opaque, Tensor, TypeInfo, ValueInfo } from './ir.js';
import {
  int64ToBigInt,
  int64ToNumber,
  type PAttribute,
  type PGraph,
  type PModel,
  type PNode,
  type PType,
  type PValueInfo,
} from './proto/codec.js';

function opaque(message: object): Opaque {
  return message as unknown as Opaque;
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
