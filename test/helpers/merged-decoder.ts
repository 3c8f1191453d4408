/**
 * Optimum's merged decoder built from TLC's two decoder graphs, as `optimum-cli export onnx` lays it out: one
 * graph whose inputs are both graphs' inputs plus `use_cache_branch` (bool [1]), and one If node — then: the
 * with-past graph, whose cross-attention cache is passed through (present.{i}.encoder.* = past); else: the
 * first-step graph. Each branch's own values are prefixed so that no name shadows the outer scope.
 */
import { DataType } from '../../src/onnx/dtype.js';
import { allDefinedNames } from '../../src/onnx/graph-index.js';
import type { Graph, Model, Node, ValueInfo } from '../../src/onnx/ir.js';
import { renameValues } from '../../src/onnx/passes/rename.js';

/** The graph as an If branch: no inputs of its own (it reads the outer ones), its values prefixed. */
function asBranch(graph: Graph, prefix: string): Graph {
  const outer = new Set(graph.inputs.map((v) => v.name));
  const mapping = new Map(
    [...allDefinedNames(graph)].filter((n) => !outer.has(n)).map((n) => [n, `${prefix}${n}`] as const),
  );
  const renamed = renameValues(graph, { mapping }).graph;
  return { ...renamed, name: `${graph.name}_${prefix.replace(/\W/g, '')}`, inputs: [] };
}

export function mergeDecoders(decoder: Model, withPast: Model): Model {
  const outputs = decoder.graph.outputs;
  const elseBranch = asBranch(decoder.graph, 'else/');
  const then = asBranch(withPast.graph, 'then/');
  // The with-past graph does not output the cross-attention cache: pass the past one through.
  const passThrough: Node[] = [];
  const thenOutputs: ValueInfo[] = outputs.map((o) => {
    const own = then.outputs.find((t) => t.name === `then/${o.name}`);
    if (own !== undefined) return own;
    const past = o.name.replace(/^present\./, 'past_key_values.');
    passThrough.push({
      name: `then/pass_${o.name}`,
      opType: 'Identity',
      domain: '',
      inputs: [past],
      outputs: [`then/${o.name}`],
      attributes: {},
    });
    return { ...o, name: `then/${o.name}` };
  });
  const thenBranch: Graph = { ...then, nodes: [...then.nodes, ...passThrough], outputs: thenOutputs };
  const inputs = [...decoder.graph.inputs];
  for (const v of withPast.graph.inputs) if (!inputs.some((i) => i.name === v.name)) inputs.push(v);
  inputs.push({ name: 'use_cache_branch', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [1] } });
  const ifNode: Node = {
    name: 'optimum::if',
    opType: 'If',
    domain: '',
    inputs: ['use_cache_branch'],
    outputs: outputs.map((o) => o.name),
    attributes: {
      then_branch: { type: 'GRAPH', value: thenBranch },
      else_branch: { type: 'GRAPH', value: elseBranch },
    },
  };
  return {
    ...decoder,
    graph: {
      name: 'decoder_model_merged',
      nodes: [ifNode],
      inputs,
      outputs,
      valueInfo: [],
      initializers: new Map(),
      sparseInitializers: [],
    },
  };
}
