/**
 * Blocks whose weights live in an enclosing graph: Optimum's merged seq2seq decoder keeps the decoder's weights
 * in the main graph, read by both branches of its `use_cache_branch` If. The matchers work one graph level at a
 * time and see only that level's constants, so before pruning each branch gets a private copy of the outer
 * weights it reads (fresh names); afterwards copies left unchanged go back to reading the outer tensor, copies
 * pruned alike in every branch are stored once in the main graph again (hoistSharedConstants, as the quantizers
 * do), and outer weights nothing reads any more are dropped. Declared shapes of outer values (the main graph's
 * past inputs, the If's present outputs) follow the changes the branches asked for.
 */
import { nodeReads, outerReferences } from '../../../onnx/graph-index.js';
import type { Graph, Node, Tensor } from '../../../onnx/ir.js';
import type { NameAllocator } from '../../../onnx/names.js';
import { hoistSharedConstants } from '../../../onnx/passes/hoist-shared-constants.js';
import { mapNames } from '../../../onnx/passes/rename.js';
import { redeclare } from './level.js';

/** Copy name → the outer initializer it copies. */
export type Inlined = ReadonlyMap<string, Tensor>;

const FLOATS: ReadonlySet<number> = new Set([1, 10, 11, 16]);

function subgraphsOf(node: Node): Graph[] {
  return Object.values(node.attributes).flatMap((a) =>
    a.type === 'GRAPH' ? [a.value] : a.type === 'GRAPHS' ? [...a.value] : [],
  );
}

function withSubgraphs(node: Node, map: (g: Graph) => Graph): Node {
  const attributes: Node['attributes'] = Object.fromEntries(
    Object.entries(node.attributes).map(([k, a]) => {
      if (a.type === 'GRAPH') return [k, { ...a, value: map(a.value) }];
      if (a.type === 'GRAPHS') return [k, { ...a, value: a.value.map(map) }];
      return [k, a];
    }),
  );
  return { ...node, attributes };
}

/** Gives every subgraph of the main graph's nodes private copies of the outer float weights it reads. */
export function inlineOuterWeights(graph: Graph, names: NameAllocator): { graph: Graph; inlined: Inlined } {
  const inlined = new Map<string, Tensor>();
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const inline = (g: Graph): Graph => {
    const copies = new Map<string, string>();
    for (const name of outerReferences(g)) {
      const t = graph.initializers.get(name);
      if (t === undefined || inputs.has(name) || !FLOATS.has(t.dataType) || t.dims.length === 0) continue;
      const copy = names.fresh(name);
      copies.set(name, copy);
      inlined.set(copy, t);
    }
    if (copies.size === 0) return g;
    const renamed = mapNames(g, (n) => copies.get(n) ?? n, { definitions: false, mainOutputs: false }, false);
    const initializers = new Map(renamed.initializers);
    for (const [from, to] of copies) initializers.set(to, { ...graph.initializers.get(from)!, name: to });
    return { ...renamed, initializers };
  };
  const nodes = graph.nodes.map((n) => (subgraphsOf(n).length === 0 ? n : withSubgraphs(n, inline)));
  return inlined.size === 0 ? { graph, inlined } : { graph: { ...graph, nodes }, inlined };
}

/** Copies still equal to their outer tensor read it again; the copy goes. */
function unshare(g: Graph, inlined: Inlined): Graph {
  const back = new Map<string, string>();
  for (const [name, t] of g.initializers) {
    const original = inlined.get(name);
    if (original !== undefined && t.data === original.data && t.dims.join() === original.dims.join())
      back.set(name, original.name);
  }
  if (back.size === 0) return g;
  const renamed = mapNames(g, (n) => back.get(n) ?? n, { definitions: false, mainOutputs: false }, false);
  const initializers = new Map([...renamed.initializers].filter(([name]) => !back.has(name)));
  return { ...renamed, initializers };
}

/** Undoes the inlining where nothing changed, stores alike-pruned copies once, drops outer weights no one reads. */
export function restoreOuterWeights(graph: Graph, inlined: Inlined): Graph {
  const nodes = graph.nodes.map((n) =>
    subgraphsOf(n).length === 0 ? n : withSubgraphs(n, (g) => unshare(g, inlined)),
  );
  const hoisted = hoistSharedConstants({ ...graph, nodes }).graph;
  const read = new Set<string>(hoisted.outputs.map((v) => v.name));
  for (const n of hoisted.nodes) for (const name of nodeReads(n)) read.add(name);
  const outer = new Set([...inlined.values()].map((t) => t.name));
  const initializers = new Map(
    [...hoisted.initializers].filter(([name]) => read.has(name) || !outer.has(name)),
  );
  return { ...hoisted, initializers };
}

/**
 * Applies the declared-shape changes the levels asked for to the main graph's inputs and outputs; a subgraph
 * output that changed passes its change to the node output it becomes (an If's present outputs).
 */
export function declareOuterDims(
  graph: Graph,
  dims: ReadonlyMap<string, ReadonlyMap<number, number>>,
): Graph {
  if (dims.size === 0) return graph;
  const all = new Map(dims);
  for (const node of graph.nodes) {
    for (const g of subgraphsOf(node)) {
      g.outputs.forEach((o, i) => {
        const change = dims.get(o.name);
        const out = node.outputs[i];
        if (change !== undefined && out !== undefined && out !== '') all.set(out, change);
      });
    }
  }
  return { ...graph, inputs: redeclare(graph.inputs, all), outputs: redeclare(graph.outputs, all) };
}
