/** TLC's in-memory model → protobuf messages. Numeric tensor data is always written as raw_data. */
import type { ExternalDataRef } from './decode-context.js';
import type {
  Attribute,
  Graph,
  Metadata,
  Model,
  Node,
  SparseTensor,
  Tensor,
  TypeInfo,
  ValueInfo,
} from './ir.js';
import {
  bigIntToInt64,
  type PAttribute,
  type PDimension,
  type PGraph,
  type PModel,
  type PNode,
  type PSparseTensor,
  type PStringStringEntry,
  type PTensor,
  type PType,
  type PValueInfo,
} from './proto/codec.js';
import { tensorBytes } from './tensor.js';

/**
 * Decides where an initializer's bytes go: undefined keeps them inline; a reference means the caller has
 * written (or will write) them to that external location.
 */
export type ExternalPlacement = (tensor: Tensor) => ExternalDataRef | undefined;

interface EncodeContext {
  readonly place?: ExternalPlacement;
}

function metadataProps(m: Metadata | undefined): PStringStringEntry[] | undefined {
  return m === undefined || m.size === 0 ? undefined : [...m].map(([key, value]) => ({ key, value }));
}

/** Drops undefined fields so that protobufjs treats them as absent. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

export function encodeTensor(t: Tensor, external?: ExternalDataRef): PTensor {
  const base: PTensor = {
    dims: t.dims.map((d) => d),
    data_type: t.dataType,
    name: t.name,
    doc_string: t.docString,
    metadata_props: metadataProps(t.metadata),
  };
  if (Array.isArray(t.data)) {
    base.string_data = [...(t.data as readonly Uint8Array[])];
  } else if (external !== undefined) {
    base.data_location = 1;
    base.external_data = [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(external.length ?? tensorBytes(t).byteLength) },
    ];
  } else {
    base.raw_data = tensorBytes(t);
  }
  return compact(base);
}

function encodeSparse(s: SparseTensor): PSparseTensor {
  return { values: encodeTensor(s.values), indices: encodeTensor(s.indices), dims: [...s.dims] };
}

export function encodeType(t: TypeInfo): PType {
  const out: PType = {};
  if (t.denotation !== undefined) out.denotation = t.denotation;
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const body: { elem_type: number; shape?: { dim: PDimension[] } } = { elem_type: t.elemType };
      if (t.shape !== undefined) {
        body.shape = {
          dim: t.shape.map((d, i) => {
            const dim: PDimension =
              typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {};
            const den = t.dimDenotations?.[i];
            if (den !== undefined) dim.denotation = den;
            return dim;
          }),
        };
      }
      if (t.kind === 'tensor') out.tensor_type = body;
      else out.sparse_tensor_type = body;
      return out;
    }
    case 'sequence':
      out.sequence_type = t.elem === undefined ? {} : { elem_type: encodeType(t.elem) };
      return out;
    case 'optional':
      out.optional_type = t.elem === undefined ? {} : { elem_type: encodeType(t.elem) };
      return out;
    case 'map':
      out.map_type = compact({
        key_type: t.keyType,
        value_type: t.value === undefined ? undefined : encodeType(t.value),
      });
      return out;
    case 'opaque':
      out.opaque_type = compact({ domain: t.domain, name: t.name });
      return out;
    case 'none':
      return out;
    default: {
      const never: never = t;
      throw new Error(`unhandled type ${JSON.stringify(never)}`);
    }
  }
}

function encodeValueInfo(v: ValueInfo): PValueInfo {
  return compact({
    name: v.name,
    type: v.type === undefined ? undefined : encodeType(v.type),
    doc_string: v.docString,
    metadata_props: metadataProps(v.metadata),
  });
}

const ATTRIBUTE_CODES: Record<Exclude<Attribute['type'], 'REF'>, number> = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  SPARSE_TENSOR: 11,
  TYPE_PROTO: 13,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSORS: 12,
  TYPE_PROTOS: 14,
};

function encodeAttribute(name: string, a: Attribute, ctx: EncodeContext): PAttribute {
  const out: PAttribute = compact({ name, doc_string: a.docString });
  if (a.type === 'REF') {
    out.ref_attr_name = a.refAttrName;
    out.type = a.refType;
    return out;
  }
  out.type = ATTRIBUTE_CODES[a.type];
  switch (a.type) {
    case 'FLOAT':
      out.f = a.value;
      break;
    case 'INT':
      out.i = bigIntToInt64(a.value);
      break;
    case 'STRING':
      out.s = a.value;
      break;
    case 'TENSOR':
      out.t = encodeTensor(a.value);
      break;
    case 'GRAPH':
      out.g = encodeGraphWith(a.value, ctx);
      break;
    case 'SPARSE_TENSOR':
      out.sparse_tensor = encodeSparse(a.value);
      break;
    case 'TYPE_PROTO':
      out.tp = encodeType(a.value);
      break;
    case 'FLOATS':
      out.floats = [...a.value];
      break;
    case 'INTS':
      out.ints = a.value.map(bigIntToInt64);
      break;
    case 'STRINGS':
      out.strings = [...a.value];
      break;
    case 'TENSORS':
      out.tensors = a.value.map((t) => encodeTensor(t));
      break;
    case 'GRAPHS':
      out.graphs = a.value.map((g) => encodeGraphWith(g, ctx));
      break;
    case 'SPARSE_TENSORS':
      out.sparse_tensors = a.value.map(encodeSparse);
      break;
    case 'TYPE_PROTOS':
      out.type_protos = a.value.map(encodeType);
      break;
    default: {
      const never: never = a;
      throw new Error(`unhandled attribute ${JSON.stringify(never)}`);
    }
  }
  return out;
}

function encodeNode(n: Node, ctx: EncodeContext): PNode {
  return compact({
    input: [...n.inputs],
    output: [...n.outputs],
    name: n.name === '' ? undefined : n.name,
    op_type: n.opType,
    domain: n.domain === '' ? undefined : n.domain,
    overload: n.overload,
    attribute: Object.entries(n.attributes).map(([name, a]) => encodeAttribute(name, a, ctx)),
    doc_string: n.docString,
    metadata_props: metadataProps(n.metadata),
    device_configurations: n.deviceConfigurations === undefined ? undefined : [...n.deviceConfigurations],
  });
}

function encodeGraphWith(g: Graph, ctx: EncodeContext): PGraph {
  return compact({
    node: g.nodes.map((n) => encodeNode(n, ctx)),
    name: g.name,
    initializer: [...g.initializers.values()].map((t) => encodeTensor(t, ctx.place?.(t))),
    sparse_initializer: g.sparseInitializers.map(encodeSparse),
    doc_string: g.docString,
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    value_info: g.valueInfo.map(encodeValueInfo),
    quantization_annotation:
      g.quantizationAnnotation === undefined ? undefined : [...g.quantizationAnnotation],
    metadata_props: metadataProps(g.metadata),
  });
}

export function encodeGraph(g: Graph): PGraph {
  return encodeGraphWith(g, {});
}

/** The ModelProto message for a model; `place` moves initializer bytes to external data. */
export function encodeModelMessage(m: Model, place?: ExternalPlacement): PModel {
  const ctx: EncodeContext = place === undefined ? {} : { place };
  const list = (xs: readonly object[] | undefined) => (xs === undefined ? undefined : [...xs]);
  return compact({
    ir_version: m.irVersion,
    opset_import: [...m.opsetImports].map(([domain, version]) => ({ domain, version })),
    producer_name: m.producerName,
    producer_version: m.producerVersion,
    domain: m.domain,
    model_version: m.modelVersion === undefined ? undefined : bigIntToInt64(m.modelVersion),
    doc_string: m.docString,
    graph: encodeGraphWith(m.graph, ctx),
    metadata_props: metadataProps(m.metadata),
    training_info: list(m.trainingInfo),
    functions: list(m.functions),
    configuration: list(m.configuration),
  });
}
