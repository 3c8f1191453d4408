/**
 * float32 → float16 for GPU targets. Float initializers and float values become float16, except in nodes
 * kept in float32 (numerically sensitive op types: normalisation, softmax, exp/log, losses, decomposed
 * LayerNorm chains; nodes with subgraphs; contrib ops without float16 kernels), which get Casts around them.
 * The model keeps its float32 inputs and outputs unless asked (`keepIoTypes: false`), and every subgraph
 * keeps a float32 interface: an If/Loop node is a float32 node, its branches are converted inside.
 *
 * Element types are propagated through the graph with the same rules GraphBuilder uses (onnx/elem-type.ts),
 * seeded by inputs, initializers and value_info; a value of unknown type is left alone.
 *
 * What ONNX Runtime 1.30's CPU provider does with the result (test/compress/quantize/float16.test.ts): it
 * accepts float16 for every op TLC's and PyTorch's transformer graphs use except Range, but only a few
 * (LayerNormalization, shape ops) have float16 CPU kernels; for the rest its InsertCastTransformer adds
 * Cast-to-float32 around the node. So on CPU a float16 model is smaller on disk and numerically close, not
 * faster; the speed is for CUDA/WebGPU, whose kernels are float16.
 */
import { getInt } from '../../onnx/attributes.js';
import { DataType } from '../../onnx/dtype.js';
import { inferOutputTypes } from '../../onnx/elem-type.js';
import { float32ToFloat16Bits } from '../../onnx/float16.js';
import { allDefinedNames, GraphIndex, nodeReads, outerReferences } from '../../onnx/graph-index.js';
import type { Attribute, Graph, Node, Tensor, TypeInfo, ValueInfo } from '../../onnx/ir.js';
import { NameAllocator } from '../../onnx/names.js';
import { applied, declined, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { makeTensor } from '../../onnx/tensor.js';
import { topologicalOrder } from '../../onnx/topo.js';
import { hasSubgraphs, mapNodeSubgraphs, walkGraphs } from '../../onnx/traverse.js';
import { compileSelection } from '../common/selection.js';
import type { Float16Options } from './options.js';
import { FP16_CONTRIB_OPS, FP32_OPS } from './registry.js';

export const FLOAT16_PASS = 'convert-float16';

type Precision = 'fp16' | 'fp32';

const ELEM: Record<Precision, DataType> = { fp16: DataType.FLOAT16, fp32: DataType.FLOAT };

/** Ops that read a float input without caring about its precision: no Cast is inserted for them. */
const TYPE_AGNOSTIC = new Set(['Shape', 'Size']);

/** float16's largest finite value: larger constants are clamped rather than turned into infinities. */
const FP16_MAX = 65504;

interface State {
  readonly keepOps: ReadonlySet<string>;
  readonly keepNode: (node: Node) => boolean;
  readonly keepLayerNorm: boolean;
  readonly keepIoTypes: boolean;
  readonly used: Set<string>;
  readonly names: NameAllocator;
  readonly changes: PassChange[];
}

interface Scope {
  /** Element types of values visible from enclosing graphs. */
  readonly types: ReadonlyMap<string, DataType>;
  /** Precision of the outer values a subgraph reads. */
  readonly homes: ReadonlyMap<string, Precision>;
}

export function toFloat16(graph: Graph, options: Float16Options = {}): PassResult {
  const used = allDefinedNames(graph);
  walkGraphs(graph, (g) => {
    for (const n of g.nodes) if (n.name !== '') used.add(n.name);
  });
  // The selection's pattern matching: a node the patterns "include" is kept in float32.
  const keepNodes = options.keepFp32Nodes ?? [];
  const select = compileSelection({ includeNodes: keepNodes });
  const keepNode = (n: Node) => keepNodes.length > 0 && select(n).selected;
  const state: State = {
    keepOps: new Set(options.keepFp32Ops ?? FP32_OPS),
    keepNode,
    keepLayerNorm: options.keepDecomposedLayerNorm ?? true,
    keepIoTypes: options.keepIoTypes ?? true,
    used,
    names: new NameAllocator(used),
    changes: [],
  };
  const converted = convert(graph, { types: new Map(), homes: new Map() }, true, state);
  return { graph: converted, changes: state.changes };
}

function fresh(state: State, base: string): string {
  return state.names.fresh(base);
}

function tensorElem(type: TypeInfo | undefined): DataType | undefined {
  return type?.kind === 'tensor' ? type.elemType : undefined;
}

/** Element types of every value of the graph, propagated in topological order. */
function elementTypes(graph: Graph, outer: ReadonlyMap<string, DataType>): Map<string, DataType> {
  const types = new Map(outer);
  const declared = new Map<string, DataType>();
  for (const v of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) {
    const t = tensorElem(v.type);
    if (t !== undefined) declared.set(v.name, t);
  }
  for (const [name, t] of declared) types.set(name, t);
  for (const [name, t] of graph.initializers) types.set(name, t.dataType);
  for (const node of topologicalOrder(graph)) {
    const outs =
      subgraphOutputTypes(node) ??
      inferOutputTypes(
        node,
        node.inputs.map((i) => types.get(i)),
      );
    node.outputs.forEach((o, i) => {
      const t = declared.get(o) ?? outs[i];
      if (o !== '' && t !== undefined) types.set(o, t);
    });
  }
  return types;
}

/** If / Loop output types from their bodies' declared outputs. */
function subgraphOutputTypes(node: Node): (DataType | undefined)[] | undefined {
  const graphAttr = (name: string) => {
    const a = node.attributes[name];
    return a?.type === 'GRAPH' ? a.value : undefined;
  };
  if (node.opType === 'If') return graphAttr('then_branch')?.outputs.map((v) => tensorElem(v.type));
  if (node.opType === 'Loop')
    return graphAttr('body')
      ?.outputs.slice(1)
      .map((v) => tensorElem(v.type));
  return undefined;
}

/** The nodes of `ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div` (LayerNorm as exporters write it). */
function decomposedLayerNorms(graph: Graph, index: GraphIndex): Set<Node> {
  const found = new Set<Node>();
  const next = (value: string | undefined, op: string, test: (n: Node) => boolean = () => true) =>
    value === undefined ? undefined : index.consumersOf(value).find((n) => n.opType === op && test(n));
  for (const r1 of graph.nodes) {
    if (r1.opType !== 'ReduceMean') continue;
    const x = r1.inputs[0];
    const mean = r1.outputs[0];
    const sub = next(mean, 'Sub', (n) => n.inputs[0] === x && n.inputs[1] === mean);
    const d = sub?.outputs[0];
    const pow = next(d, 'Pow', (n) => n.inputs[0] === d);
    const r2 = next(pow?.outputs[0], 'ReduceMean');
    const add = next(r2?.outputs[0], 'Add');
    const sqrt = next(add?.outputs[0], 'Sqrt');
    const s = sqrt?.outputs[0];
    const div = next(s, 'Div', (n) => n.inputs[0] === d && n.inputs[1] === s);
    if (sub && pow && r2 && add && sqrt && div)
      for (const n of [r1, sub, pow, r2, add, sqrt, div]) found.add(n);
  }
  return found;
}

function toHalf(t: Tensor, name = t.name): Tensor {
  const values = t.data as Float32Array;
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    bits[i] = float32ToFloat16Bits(Number.isFinite(v) ? Math.max(-FP16_MAX, Math.min(FP16_MAX, v)) : v);
  }
  return makeTensor(name, DataType.FLOAT16, t.dims, bits);
}

function convert(graph: Graph, scope: Scope, isMain: boolean, state: State): Graph {
  const index = new GraphIndex(graph);
  const types = elementTypes(graph, scope.types);
  const isFloat = (name: string) => name !== '' && types.get(name) === DataType.FLOAT;
  const layerNorm = state.keepLayerNorm ? decomposedLayerNorms(graph, index) : new Set<Node>();

  // Which precision each node computes in (undefined: it touches no float value and stays as is).
  const precision = new Map<Node, Precision>();
  const keptFor = new Map<Node, string>();
  for (const node of graph.nodes) {
    const floatIo = node.inputs.some(isFloat) || node.outputs.some(isFloat) || readsFloatOuter(node, isFloat);
    const constFloat = node.opType === 'Constant' && node.outputs.some(isFloat);
    if (!floatIo || constFloat) continue;
    const reason = keepReason(node, layerNorm, state);
    if (reason !== undefined) keptFor.set(node, reason);
    precision.set(node, reason === undefined ? 'fp16' : 'fp32');
  }

  // Constants (initializers, Constant nodes) go to float16 when a float16 node reads them.
  const halfConstants = new Set<string>();
  const isConstant = (name: string) =>
    (graph.initializers.has(name) && !graph.inputs.some((v) => v.name === name)) ||
    index.producer(name)?.node.opType === 'Constant';
  for (const name of new Set([...graph.initializers.keys(), ...graph.nodes.flatMap((n) => n.outputs)])) {
    if (!isFloat(name) || !isConstant(name) || index.isGraphOutput(name)) continue;
    const readers = index.consumersOf(name);
    if (readers.some((n) => precision.get(n) === 'fp16' && !TYPE_AGNOSTIC.has(n.opType)))
      halfConstants.add(name);
  }

  // names.get(v): the value's name in each precision it exists in so far.
  const names = new Map<string, Partial<Record<Precision, string>>>();
  const inputPrecision: Precision = isMain && !state.keepIoTypes ? 'fp16' : 'fp32';
  const outputPrecision: Precision = isMain && !state.keepIoTypes ? 'fp16' : 'fp32';
  for (const v of graph.inputs) if (isFloat(v.name)) names.set(v.name, { [inputPrecision]: v.name });
  for (const name of graph.initializers.keys()) {
    if (isFloat(name) && !names.has(name))
      names.set(name, { [halfConstants.has(name) ? 'fp16' : 'fp32']: name });
  }
  for (const [name, home] of scope.homes) if (!names.has(name)) names.set(name, { [home]: name });

  const nodes: Node[] = [];
  let casts = 0;
  const nameIn = (value: string, want: Precision): string => {
    const known = names.get(value) ?? { fp32: value };
    const existing = known[want];
    if (existing !== undefined) return existing;
    const from = known.fp16 ?? known.fp32 ?? value;
    const out = fresh(state, `${value}_${want}`);
    nodes.push(castNode(state, from, out, want));
    casts += 1;
    names.set(value, { ...known, [want]: out });
    return out;
  };
  const outputsOf = (node: Node, p: Precision): { outputs: string[]; after: Node[] } => {
    const after: Node[] = [];
    const outputs = node.outputs.map((o) => {
      if (!isFloat(o)) return o;
      const wanted = graph.outputs.some((v) => v.name === o) ? outputPrecision : p;
      if (wanted === p) {
        names.set(o, { [p]: o });
        return o;
      }
      const inner = fresh(state, `${o}_${p}`);
      after.push(castNode(state, inner, o, wanted));
      casts += 1;
      names.set(o, { [p]: inner, [wanted]: o });
      return inner;
    });
    return { outputs, after };
  };

  let toHalfNodes = 0;
  for (const node of graph.nodes) {
    if (node.opType === 'Constant' && node.domain === '' && node.outputs.some(isFloat)) {
      const out = node.outputs[0]!;
      const value = node.attributes.value;
      if (halfConstants.has(out) && value?.type === 'TENSOR') {
        nodes.push({
          ...node,
          attributes: { ...node.attributes, value: { ...value, value: toHalf(value.value) } },
        });
        names.set(out, { fp16: out });
      } else {
        nodes.push(node);
        names.set(out, { fp32: out });
      }
      continue;
    }
    const p = precision.get(node);
    if (p === undefined) {
      // Float-free at this level, but a branch may still compute in float inside.
      nodes.push(
        hasSubgraphs(node) ? mapNodeSubgraphs(node, (g) => convertSubgraph(g, types, names, state)) : node,
      );
      continue;
    }
    const inputs = node.inputs.map((i) => {
      if (!isFloat(i)) return i;
      if (TYPE_AGNOSTIC.has(node.opType)) {
        const known = names.get(i);
        return known?.fp32 ?? known?.fp16 ?? i;
      }
      return nameIn(i, p);
    });
    let converted: Node = { ...node, inputs };
    if (p === 'fp16') {
      converted = { ...converted, attributes: halfAttributes(node) };
      toHalfNodes += 1;
    } else if (hasSubgraphs(node)) {
      converted = mapNodeSubgraphs(converted, (g) => convertSubgraph(g, types, names, state));
    }
    const { outputs, after } = outputsOf(node, p);
    nodes.push({ ...converted, outputs }, ...after);
  }

  const initializers = new Map(
    [...graph.initializers].map(([name, t]) => [name, halfConstants.has(name) ? toHalf(t) : t] as const),
  );
  const precisionOfName = new Map<string, Precision>();
  for (const known of names.values()) {
    if (known.fp16 !== undefined) precisionOfName.set(known.fp16, 'fp16');
    if (known.fp32 !== undefined) precisionOfName.set(known.fp32, 'fp32');
  }
  const retype = (v: ValueInfo): ValueInfo => {
    const p = precisionOfName.get(v.name);
    if (v.type?.kind !== 'tensor' || v.type.elemType !== DataType.FLOAT || p !== 'fp16') return v;
    return { ...v, type: { ...v.type, elemType: DataType.FLOAT16 } };
  };
  for (const [node, reason] of keptFor)
    state.changes.push(declined(FLOAT16_PASS, node.name || node.opType, reason));
  if (toHalfNodes > 0 || halfConstants.size > 0) {
    state.changes.push(
      applied(
        FLOAT16_PASS,
        graph.name,
        `${toHalfNodes} node(s) and ${halfConstants.size} constant(s) to float16, ${casts} Cast(s) inserted`,
      ),
    );
  }
  return {
    ...graph,
    nodes,
    initializers,
    inputs: graph.inputs.map(retype),
    outputs: graph.outputs.map(retype),
    valueInfo: graph.valueInfo.map(retype),
  };
}

/** Converts a subgraph whose outer values have the precisions in `names`; its own interface stays float32. */
function convertSubgraph(
  graph: Graph,
  types: ReadonlyMap<string, DataType>,
  names: ReadonlyMap<string, Partial<Record<Precision, string>>>,
  state: State,
): Graph {
  const homes = new Map<string, Precision>();
  for (const ref of outerReferences(graph)) {
    const known = names.get(ref);
    if (known?.fp16 === ref) homes.set(ref, 'fp16');
    else if (known?.fp32 === ref) homes.set(ref, 'fp32');
  }
  return convert(graph, { types, homes }, false, state);
}

function readsFloatOuter(node: Node, isFloat: (name: string) => boolean): boolean {
  return hasSubgraphs(node) && nodeReads(node).some(isFloat);
}

function keepReason(node: Node, layerNorm: ReadonlySet<Node>, state: State): string | undefined {
  if (state.keepOps.has(node.opType)) return `kept in float32: ${node.opType} is in keepFp32Ops`;
  if (layerNorm.has(node)) return 'kept in float32: part of a decomposed LayerNorm';
  if (state.keepNode(node)) return 'kept in float32: node name in keepFp32Nodes';
  if (hasSubgraphs(node)) return 'kept in float32: a node with subgraphs keeps a float32 interface';
  if (node.domain !== '' && node.domain !== 'ai.onnx' && !FP16_CONTRIB_OPS.includes(node.opType))
    return `kept in float32: ${node.domain} ${node.opType} has no float16 rule`;
  return undefined;
}

/** Attributes that name float32 explicitly, switched to float16 for a float16 node. */
function halfAttributes(node: Node): Record<string, Attribute> {
  const attributes: Record<string, Attribute> = { ...node.attributes };
  if (node.opType === 'Cast' && getInt(node, 'to') === DataType.FLOAT) {
    attributes.to = { type: 'INT', value: BigInt(DataType.FLOAT16) };
  }
  const value = node.attributes.value;
  if (
    node.opType === 'ConstantOfShape' &&
    value?.type === 'TENSOR' &&
    value.value.dataType === DataType.FLOAT
  ) {
    attributes.value = { ...value, value: toHalf(value.value) };
  }
  return attributes;
}

function castNode(state: State, from: string, to: string, want: Precision): Node {
  return {
    name: fresh(state, `${to}_Cast`),
    opType: 'Cast',
    domain: '',
    inputs: [from],
    outputs: [to],
    attributes: { to: { type: 'INT', value: BigInt(ELEM[want]) } },
  };
}
