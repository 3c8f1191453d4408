/**
 * Finds the position-wise head of a fill-mask graph: the chain of nodes that ends in `logits` and treats every
 * position on its own (dense layers with constant weights, biases, activations, LayerNormalization over the last
 * axis, casts, per-tensor Q/DQ). Such a chain may run on the masked rows only: gathering the rows first and
 * then running the head gives the same logits for those rows while the vocabulary projection — often the
 * largest matrix of a small encoder — runs on a few rows instead of batch × sequence.
 *
 * Pure analysis; the rewrite is in fill-mask-graph.ts. The walk is conservative: it stops at the first node that
 * is not in the rule table, reads a second activation, or whose input is also read elsewhere, and the cut it
 * returns is that node's activation input (so a foreign head that it only partly understands still moves its
 * last layers behind the gather).
 */

import { type GraphIndex, indexGraph } from '../../onnx/graph-index.js';
import type { Graph, Node, Tensor } from '../../onnx/ir.js';
import { hasSubgraphs } from '../../onnx/traverse.js';

export interface PositionwiseHead {
  /** The value whose rows feed the head ([..., D], rows in batch-major order). */
  readonly cut: string;
  /** The head's nodes in graph order; the first reads `cut`, the last writes the logits. */
  readonly nodes: readonly Node[];
  /** A final Reshape [rows, V] → [B, S, V] among `nodes`, which the rewrite passes through (rows stay rows). */
  readonly passThrough: ReadonlySet<Node>;
}

type Constness = (name: string) => boolean;

interface Rule {
  /** Input index of the activation; every other non-empty input must be constant. */
  readonly activation: number;
  /** Extra checks on the node (attributes, constant shapes). */
  readonly check?: (node: Node, index: GraphIndex) => boolean;
}

const isLastAxisBroadcast = (t: Tensor | undefined): boolean =>
  t?.dims.slice(0, -1).every((d) => d === 1) === true;

/** The constant tensor behind a value, looking through Identity nodes (PyTorch exports of shared weights). */
function constantTensor(index: GraphIndex, name: string): Tensor | undefined {
  for (let hops = 0; hops < 8; hops++) {
    const value = index.constantValue(name);
    if (value !== undefined) return value;
    const producer = index.producer(name)?.node;
    if (producer?.opType !== 'Identity' || producer.domain !== '') return undefined;
    name = producer.inputs[0] ?? '';
  }
  return undefined;
}

/** Binary element-wise ops are position-wise when the constant operand broadcasts along the last axis only. */
const elementwise: Rule = {
  activation: -1,
  check: (node, index) => {
    const [a, b] = node.inputs;
    const left = constantTensor(index, a ?? '');
    return isLastAxisBroadcast(left ?? constantTensor(index, b ?? ''));
  },
};

const unary: Rule = { activation: 0 };

/** Per-tensor (scalar) quantization parameters keep an op position-wise. */
const perTensorQdq: Rule = {
  activation: 0,
  check: (node, index) => {
    const scale = constantTensor(index, node.inputs[1] ?? '');
    return scale?.dims.every((d) => d === 1) === true;
  },
};

/** A normalisation is position-wise over the last axis only (the default axis, -1). */
const lastAxisNorm: Rule = {
  activation: 0,
  check: (n) => n.attributes.axis === undefined || intAttr(n, 'axis') === -1n,
};

const RULES: Readonly<Record<string, Rule>> = {
  MatMul: { activation: 0, check: (n, i) => i.constantValue(n.inputs[1] ?? '')?.dims.length !== 1 },
  Gemm: { activation: 0, check: (n) => n.attributes.transA === undefined || intAttr(n, 'transA') === 0n },
  'com.microsoft:DynamicQuantizeMatMul': { activation: 0 },
  'com.microsoft:MatMulNBits': { activation: 0 },
  'com.microsoft:MatMulIntegerToFloat': { activation: -1 },
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Gelu: unary,
  'com.microsoft:Gelu': unary,
  'com.microsoft:FastGelu': unary,
  'com.microsoft:BiasGelu': unary,
  Erf: unary,
  Tanh: unary,
  Relu: unary,
  Sigmoid: unary,
  Cast: unary,
  Identity: unary,
  LayerNormalization: lastAxisNorm,
  'com.microsoft:SimplifiedLayerNormalization': lastAxisNorm,
  QuantizeLinear: perTensorQdq,
  DequantizeLinear: perTensorQdq,
};

function intAttr(node: Node, name: string): bigint | undefined {
  const a = node.attributes[name];
  return a?.type === 'INT' ? a.value : undefined;
}

const ruleKey = (node: Node): string =>
  node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}:${node.opType}`;

/** Values computed from initializers alone (constant folding would make them initializers). */
function constantValues(graph: Graph, index: GraphIndex): Set<string> {
  const constant = new Set<string>();
  for (const name of graph.initializers.keys()) if (!index.graphInputs.has(name)) constant.add(name);
  for (const node of graph.nodes) {
    const hasSubgraph = hasSubgraphs(node);
    if (hasSubgraph || node.opType.startsWith('Random')) continue;
    if (node.inputs.every((i) => i === '' || constant.has(i))) {
      for (const o of node.outputs) if (o !== '') constant.add(o);
    }
  }
  return constant;
}

/** The activation input of `node` under its rule, or undefined when the node is not position-wise. */
function activationOf(node: Node, index: GraphIndex, isConstant: Constness): string | undefined {
  const rule = RULES[ruleKey(node)];
  if (rule === undefined) return undefined;
  const live = node.inputs
    .map((name, i) => ({ name, i }))
    .filter((x) => x.name !== '' && !isConstant(x.name));
  if (live.length !== 1) return undefined;
  const only = live[0]!;
  if (rule.activation >= 0 && only.i !== rule.activation) return undefined;
  if (rule.check !== undefined && !rule.check(node, index)) return undefined;
  // Extra outputs (LayerNormalization's mean / inverse std) must be unused.
  if (
    node.outputs.slice(1).some((o) => o !== '' && (index.consumersOf(o).length > 0 || index.isGraphOutput(o)))
  ) {
    return undefined;
  }
  return only.name;
}

const isMatMulLike = (node: Node): boolean =>
  ['MatMul', 'Gemm', 'DynamicQuantizeMatMul', 'MatMulNBits', 'MatMulIntegerToFloat'].includes(node.opType);

/**
 * The position-wise head that produces `logitsName`, or undefined when there is none worth moving (no dense
 * layer in it). One Reshape from [rows, V] back to [B, S, V] is allowed right after the last dense layer (casts
 * may follow it); the rewrite passes it through, returning [masked, V].
 */
export function findPositionwiseHead(graph: Graph, logitsName: string): PositionwiseHead | undefined {
  const index = indexGraph(graph);
  const constants = constantValues(graph, index);
  const isConstant: Constness = (name) => constants.has(name);
  const nodes: Node[] = [];
  const passThrough = new Set<Node>();
  let value = logitsName;
  let producer = index.producer(value)?.node;
  while (producer !== undefined) {
    const input = isFinalReshape(producer, nodes, passThrough, index, isConstant)
      ? producer.inputs[0]
      : activationOf(producer, index, isConstant);
    if (input === undefined) break;
    if (producer.opType === 'Reshape') passThrough.add(producer);
    nodes.push(producer);
    value = input;
    const next = index.producer(input)?.node;
    if (next === undefined || !readOnlyBy(index, input, producer)) break;
    producer = next;
  }
  // The walk may end on a pass-through reshape whose input is read elsewhere: cut after it instead.
  while (nodes.length > 0 && passThrough.has(nodes[nodes.length - 1]!)) {
    const reshape = nodes.pop()!;
    passThrough.delete(reshape);
    value = reshape.outputs[0]!;
  }
  if (!nodes.some(isMatMulLike)) return undefined;
  nodes.reverse();
  return { cut: value, nodes, passThrough };
}

/** The one Reshape [rows, V] → [B, S, V] that may follow the last dense layer (only casts after it). */
function isFinalReshape(
  node: Node,
  after: readonly Node[],
  passThrough: ReadonlySet<Node>,
  index: GraphIndex,
  isConstant: Constness,
): boolean {
  if (node.opType !== 'Reshape' || node.domain !== '' || passThrough.size > 0) return false;
  if (!after.every((n) => RULES[ruleKey(n)] === unary)) return false;
  const data = node.inputs[0] ?? '';
  const from = index.producer(data)?.node;
  return !isConstant(data) && from !== undefined && isMatMulLike(from);
}

/** True when `reader` is the only consumer of `name` and it is not a graph output. */
function readOnlyBy(index: GraphIndex, name: string, reader: Node): boolean {
  const readers = index.consumersOf(name);
  return readers.length === 1 && readers[0] === reader && !index.isGraphOutput(name);
}
