/** A summary of a model for people: interface, opsets, op histogram, parameters and bytes by type. */
import { dataTypeName, numel } from './dtype.js';
import type { Model, TypeInfo, ValueInfo } from './ir.js';
import { countParameters } from './parameters.js';
import { tensorByteLength } from './tensor.js';
import type { TiedCopy } from './tied-weights.js';
import { walkGraphs } from './traverse.js';

export interface ValueSummary {
  readonly name: string;
  readonly type: string;
  readonly shape?: readonly (number | string | null)[];
}

export interface ModelSummary {
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: Readonly<Record<string, number>>;
  readonly inputs: readonly ValueSummary[];
  readonly outputs: readonly ValueSummary[];
  readonly nodes: number;
  readonly subgraphs: number;
  /** "domain::OpType" (plain OpType for the default domain) → count, all graphs included. */
  readonly ops: Readonly<Record<string, number>>;
  /** Parameters as PyTorch counts them (parameters.ts): weights, not scales or shapes; a tied copy once. */
  readonly parameters: number;
  /** Initializers that repeat an embedding table (a constant-folded tied LM head), not counted again. */
  readonly tiedCopies: readonly (TiedCopy & { readonly elements: number })[];
  readonly byType: Readonly<
    Record<string, { readonly tensors: number; readonly elements: number; readonly bytes: number }>
  >;
  readonly metadata: Readonly<Record<string, string>>;
}

export function describeType(type: TypeInfo | undefined): string {
  if (type === undefined) return '?';
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return `${type.kind === 'sparse_tensor' ? 'sparse ' : ''}${dataTypeName(type.elemType).toLowerCase()}`;
    case 'sequence':
    case 'optional':
      return `${type.kind}<${describeType(type.elem)}>`;
    case 'map':
      return `map<${dataTypeName(type.keyType).toLowerCase()}, ${describeType(type.value)}>`;
    case 'opaque':
      return `opaque ${type.domain ?? ''}.${type.name ?? ''}`;
    case 'none':
      return '?';
    default: {
      const never: never = type;
      return String(never);
    }
  }
}

function valueSummary(v: ValueInfo): ValueSummary {
  const t = v.type;
  const shape = t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') ? t.shape : undefined;
  return { name: v.name, type: describeType(t), ...(shape && { shape }) };
}

export function summarize(model: Model): ModelSummary {
  const ops: Record<string, number> = {};
  const byType: Record<string, { tensors: number; elements: number; bytes: number }> = {};
  let nodes = 0;
  let graphs = 0;
  const count = (type: number, elements: number, bytes: number) => {
    const key = dataTypeName(type).toLowerCase();
    const entry = byType[key] ?? { tensors: 0, elements: 0, bytes: 0 };
    byType[key] = entry;
    entry.tensors += 1;
    entry.elements += elements;
    entry.bytes += bytes;
  };
  walkGraphs(model.graph, (g) => {
    graphs += 1;
    nodes += g.nodes.length;
    for (const n of g.nodes) {
      const key = n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}::${n.opType}`;
      ops[key] = (ops[key] ?? 0) + 1;
    }
    for (const t of g.initializers.values()) {
      count(t.dataType, numel(t.dims), tensorByteLength(t));
    }
    for (const s of g.sparseInitializers) {
      count(
        s.values.dataType,
        numel(s.values.dims),
        tensorByteLength(s.values) + tensorByteLength(s.indices),
      );
    }
  });
  // Counted as tlc.json and the compression report count them (parameters.ts), not element by element.
  const { total: parameters, copies: tiedCopies } = countParameters([model.graph]);
  const sortedOps = Object.fromEntries(
    Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
  return {
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d === '' ? 'ai.onnx' : d, v])),
    inputs: model.graph.inputs.filter((v) => !model.graph.initializers.has(v.name)).map(valueSummary),
    outputs: model.graph.outputs.map(valueSummary),
    nodes,
    subgraphs: graphs - 1,
    ops: sortedOps,
    parameters,
    tiedCopies,
    byType,
    metadata: Object.fromEntries(model.metadata ?? []),
  };
}
