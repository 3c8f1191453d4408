import { DataType } from '../../onnx/dtype.js';
import { inferOutputTypes } from '../../onnx/elem-type.js';
import { float32ToFloat16Bits } from '../../onnx/float16.js';
import type { GraphIndex } from '../../onnx/graph-index.js';
import type { Graph, Node, Tensor, TypeInfo } from '../../onnx/ir.js';
import { makeTensor } from '../../onnx/tensor.js';
import { topologicalOrder } from '../../onnx/topo.js';

/** float16's largest finite value: larger constants are clamped rather than turned into infinities. */
const FP16_MAX = 65504;

function tensorElem(type: TypeInfo | undefined): DataType | undefined {
  return type?.kind === 'tensor' ? type.elemType : undefined;
}

/** Element types of every value of the graph, propagated in topological order. */
export function elementTypes(graph: Graph, outer: ReadonlyMap<string, DataType>): Map<string, DataType> {
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
export function decomposedLayerNorms(graph: Graph, index: GraphIndex): Set<Node> {
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

export function toHalf(t: Tensor, name = t.name): Tensor {
  const values = t.data as Float32Array;
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    bits[i] = float32ToFloat16Bits(Number.isFinite(v) ? Math.max(-FP16_MAX, Math.min(FP16_MAX, v)) : v);
  }
  return makeTensor(name, DataType.FLOAT16, t.dims, bits);
}
