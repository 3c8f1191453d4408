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
import { allDefinedNames, GraphIndex, nodeReads, outerReferences } from '../../onnx/graph-index.js';
import type { Attribute, Graph, Node, ValueInfo } from '../../onnx/ir.js';
import { NameAllocator } from '../../onnx/names.js';
import { applied, declined, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { hasSubgraphs, mapNodeSubgraphs, walkGraphs } from '../../onnx/traverse.js';
import { compileSelection } from '../common/selection.js';
import { decomposedLayerNorms, elementTypes, toHalf } from './float16-values.js';
import type { Float16Options } from './options.js';
import { FP16_CONTRIB_OPS, FP32_OPS } from './registry.js';

export const FLOAT16_PASS = 'convert-float16';

type Precision = 'fp16' | 'fp32';

const ELEM: Record<Precision, DataType> = { fp16: DataType.FLOAT16, fp32: DataType.FLOAT };

/** Ops that read a float input without caring about its precision: no Cast is inserted for them. */
const TYPE_AGNOSTIC = new Set(['Shape', 'Size']);

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

/**
 * names.get(v): the value's name in each precision it exists in so far. Graph inputs start in `ioPrecision`,
 * initializers in the precision they are stored in, values from enclosing graphs where they live.
 */
function initialNames(
  graph: Graph,
  scope: Scope,
  isFloat: (name: string) => boolean,
  halfConstants: ReadonlySet<string>,
  ioPrecision: Precision,
): Map<string, Partial<Record<Precision, string>>> {
  const names = new Map<string, Partial<Record<Precision, string>>>();
  for (const v of graph.inputs) if (isFloat(v.name)) names.set(v.name, { [ioPrecision]: v.name });
  for (const name of graph.initializers.keys()) {
    if (isFloat(name) && !names.has(name))
      names.set(name, { [halfConstants.has(name) ? 'fp16' : 'fp32']: name });
  }
  for (const [name, home] of scope.homes) if (!names.has(name)) names.set(name, { [home]: name });
  return names;
}

/** A float Constant node: its value in float16 when a float16 node reads it, else as it is. */
function convertConstant(
  node: Node,
  halfConstants: ReadonlySet<string>,
  names: Map<string, Partial<Record<Precision, string>>>,
): Node {
  const out = node.outputs[0]!;
  const value = node.attributes.value;
  if (halfConstants.has(out) && value?.type === 'TENSOR') {
    names.set(out, { fp16: out });
    return { ...node, attributes: { ...node.attributes, value: { ...value, value: toHalf(value.value) } } };
  }
  names.set(out, { fp32: out });
  return node;
}

/** The pass's changes for one graph level: nodes kept in fp32 and why, and what was converted. */
function reportConversion(
  state: State,
  graphName: string,
  keptFor: ReadonlyMap<Node, string>,
  counts: { toHalfNodes: number; halfConstants: number; casts: number },
): void {
  for (const [node, reason] of keptFor)
    state.changes.push(declined(FLOAT16_PASS, node.name || node.opType, reason));
  if (counts.toHalfNodes > 0 || counts.halfConstants > 0) {
    state.changes.push(
      applied(
        FLOAT16_PASS,
        graphName,
        `${counts.toHalfNodes} node(s) and ${counts.halfConstants} constant(s) to float16, ${counts.casts} Cast(s) inserted`,
      ),
    );
  }
}

/** Which precision each node computes in (absent: it touches no float value and stays as is), and why fp32. */
function nodePrecisions(
  graph: Graph,
  isFloat: (name: string) => boolean,
  layerNorm: ReadonlySet<Node>,
  state: State,
): { precision: Map<Node, Precision>; keptFor: Map<Node, string> } {
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
  return { precision, keptFor };
}

/** Constants (initializers, Constant nodes) that go to float16: those a float16 node reads. */
function halfConstantsOf(
  graph: Graph,
  index: GraphIndex,
  isFloat: (name: string) => boolean,
  precision: ReadonlyMap<Node, Precision>,
): Set<string> {
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
  return halfConstants;
}

/** Declared float types of values whose (new) name lives in float16, turned to FLOAT16. */
function retypeByName(
  names: ReadonlyMap<string, Partial<Record<Precision, string>>>,
): (v: ValueInfo) => ValueInfo {
  const precisionOfName = new Map<string, Precision>();
  for (const known of names.values()) {
    if (known.fp16 !== undefined) precisionOfName.set(known.fp16, 'fp16');
    if (known.fp32 !== undefined) precisionOfName.set(known.fp32, 'fp32');
  }
  return (v) => {
    const p = precisionOfName.get(v.name);
    if (v.type?.kind !== 'tensor' || v.type.elemType !== DataType.FLOAT || p !== 'fp16') return v;
    return { ...v, type: { ...v.type, elemType: DataType.FLOAT16 } };
  };
}

/** A level's values in each precision, with the Casts that make a value available in another one. */
class LevelCasts {
  casts = 0;

  constructor(
    private readonly state: State,
    private readonly names: Map<string, Partial<Record<Precision, string>>>,
    private readonly nodes: Node[],
    private readonly isFloat: (name: string) => boolean,
    private readonly isGraphOutput: (name: string) => boolean,
    private readonly outputPrecision: Precision,
  ) {}

  /** `value`'s name in precision `want`, casting it (once) when it does not exist in that precision yet. */
  nameIn(value: string, want: Precision): string {
    const known = this.names.get(value) ?? { fp32: value };
    const existing = known[want];
    if (existing !== undefined) return existing;
    const from = known.fp16 ?? known.fp32 ?? value;
    const out = fresh(this.state, `${value}_${want}`);
    this.nodes.push(castNode(this.state, from, out, want));
    this.casts += 1;
    this.names.set(value, { ...known, [want]: out });
    return out;
  }

  /** A node's outputs computed in `p`: renamed, with Casts after it, where a graph output needs the other type. */
  outputsOf(node: Node, p: Precision): { outputs: string[]; after: Node[] } {
    const after: Node[] = [];
    const outputs = node.outputs.map((o) => {
      if (!this.isFloat(o)) return o;
      const wanted = this.isGraphOutput(o) ? this.outputPrecision : p;
      if (wanted === p) {
        this.names.set(o, { [p]: o });
        return o;
      }
      const inner = fresh(this.state, `${o}_${p}`);
      after.push(castNode(this.state, inner, o, wanted));
      this.casts += 1;
      this.names.set(o, { [p]: inner, [wanted]: o });
      return inner;
    });
    return { outputs, after };
  }
}

function convert(graph: Graph, scope: Scope, isMain: boolean, state: State): Graph {
  const index = new GraphIndex(graph);
  const types = elementTypes(graph, scope.types);
  const isFloat = (name: string) => name !== '' && types.get(name) === DataType.FLOAT;
  const layerNorm = state.keepLayerNorm ? decomposedLayerNorms(graph, index) : new Set<Node>();

  const { precision, keptFor } = nodePrecisions(graph, isFloat, layerNorm, state);
  const halfConstants = halfConstantsOf(graph, index, isFloat, precision);

  const ioPrecision: Precision = isMain && !state.keepIoTypes ? 'fp16' : 'fp32';
  const names = initialNames(graph, scope, isFloat, halfConstants, ioPrecision);

  const nodes: Node[] = [];
  const level = new LevelCasts(
    state,
    names,
    nodes,
    isFloat,
    (o) => graph.outputs.some((v) => v.name === o),
    ioPrecision,
  );

  let toHalfNodes = 0;
  for (const node of graph.nodes) {
    if (node.opType === 'Constant' && node.domain === '' && node.outputs.some(isFloat)) {
      nodes.push(convertConstant(node, halfConstants, names));
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
      return level.nameIn(i, p);
    });
    let converted: Node = { ...node, inputs };
    if (p === 'fp16') {
      converted = { ...converted, attributes: halfAttributes(node) };
      toHalfNodes += 1;
    } else if (hasSubgraphs(node)) {
      converted = mapNodeSubgraphs(converted, (g) => convertSubgraph(g, types, names, state));
    }
    const { outputs, after } = level.outputsOf(node, p);
    nodes.push({ ...converted, outputs }, ...after);
  }

  const initializers = new Map(
    [...graph.initializers].map(([name, t]) => [name, halfConstants.has(name) ? toHalf(t) : t] as const),
  );
  const retype = retypeByName(names);
  reportConversion(state, graph.name, keptFor, {
    toHalfNodes,
    halfConstants: halfConstants.size,
    casts: level.casts,
  });
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
