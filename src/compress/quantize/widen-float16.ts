/**
 * float16 / bfloat16 → float32 for a whole model: initializers, constants, Cast targets and every declared
 * type, subgraphs included. export-and-compress runs it on a half-precision source before any recipe, because
 * the recipes read float32 weights: on a float16 export they matched nothing, so its "int8" and "q4" files were
 * the float16 graph again at full size, and the served top-k (float32) then refused them. Widening is exact
 * (every half value is a float32 value), so the baseline's outputs are the source's, computed in float32.
 */
import { DataType } from '../../onnx/dtype.js';
import { float16BitsToFloat32 } from '../../onnx/float16.js';
import type { Attribute, Graph, Node, Tensor, TypeInfo, ValueInfo } from '../../onnx/ir.js';
import { applied, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { walkGraphs } from '../../onnx/traverse.js';

export const WIDEN_PASS = 'widen-float16';

const HALF = new Set<number>([DataType.FLOAT16, DataType.BFLOAT16]);

/** float16 bits → float32, looked up: a 7B-parameter export has billions of halves and 65,536 patterns. */
let halfTable: Float32Array | undefined;
function halves(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) halfTable[b] = float16BitsToFloat32(b);
  }
  return halfTable;
}

function widenTensor(t: Tensor): Tensor {
  if (!HALF.has(t.dataType) || !(t.data instanceof Uint16Array)) return t;
  const bits = t.data;
  const out = new Float32Array(bits.length);
  if (t.dataType === DataType.FLOAT16) {
    const table = halves();
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  } else {
    // bfloat16 is the top half of a float32.
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  }
  return { ...t, dataType: DataType.FLOAT, data: out };
}

function widenType(type: TypeInfo | undefined): TypeInfo | undefined {
  if (type === undefined) return type;
  if (type.kind === 'tensor' || type.kind === 'sparse_tensor')
    return HALF.has(type.elemType) ? { ...type, elemType: DataType.FLOAT } : type;
  if (type.kind === 'sequence' || type.kind === 'optional') {
    const elem = widenType(type.elem);
    return elem === undefined ? type : { ...type, elem };
  }
  return type;
}

function widenValue(v: ValueInfo): ValueInfo {
  const type = widenType(v.type);
  return type === v.type || type === undefined ? v : { ...v, type };
}

/** Attributes naming a half type (Cast's `to`, the `dtype` of Random*, EyeLike) now name float32. */
const TYPE_ATTRIBUTES = new Set(['to', 'dtype']);

function widenAttribute(name: string, a: Attribute): Attribute {
  switch (a.type) {
    case 'INT':
      return TYPE_ATTRIBUTES.has(name) && HALF.has(Number(a.value))
        ? { ...a, value: BigInt(DataType.FLOAT) }
        : a;
    case 'TENSOR':
      return { ...a, value: widenTensor(a.value) };
    case 'TENSORS':
      return { ...a, value: a.value.map(widenTensor) };
    case 'GRAPH':
      return { ...a, value: widenGraph(a.value) };
    case 'GRAPHS':
      return { ...a, value: a.value.map(widenGraph) };
    default:
      return a;
  }
}

function widenNode(node: Node): Node {
  const attributes: Record<string, Attribute> = {};
  for (const [name, a] of Object.entries(node.attributes)) attributes[name] = widenAttribute(name, a);
  return { ...node, attributes };
}

function widenGraph(graph: Graph): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map(widenNode),
    inputs: graph.inputs.map(widenValue),
    outputs: graph.outputs.map(widenValue),
    valueInfo: graph.valueInfo.map(widenValue),
    initializers: new Map([...graph.initializers].map(([name, t]) => [name, widenTensor(t)] as const)),
    sparseInitializers: graph.sparseInitializers.map((s) => ({ ...s, values: widenTensor(s.values) })),
  };
}

/** Half-precision initializers of `graph` and its subgraphs, by name: what makes a model "a float16 export". */
export function halfInitializers(graph: Graph): string[] {
  const names: string[] = [];
  walkGraphs(graph, (g) => {
    for (const [name, t] of g.initializers) if (HALF.has(t.dataType)) names.push(name);
  });
  return names;
}

/** The graph with every half-precision tensor and type widened to float32; unchanged when it has none. */
export function widenFloat16(graph: Graph): PassResult {
  const half = halfInitializers(graph);
  if (half.length === 0) return { graph, changes: [] };
  const changes: PassChange[] = [
    applied(WIDEN_PASS, graph.name, `${half.length} half-precision initializers widened to float32`),
  ];
  return { graph: widenGraph(graph), changes };
}
