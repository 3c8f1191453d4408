/**
 * Moves an initializer that several subgraphs of one node hold as identical copies into the enclosing graph,
 * once, where each subgraph reads it through the outer scope (ONNX subgraphs see the values of the graphs that
 * enclose them).
 *
 * Why: Optimum's merged seq2seq decoder keeps the decoder's weights in the main graph and reads them from both
 * branches of an If (first step, cached steps). A rewrite applied branch by branch (a quantizer turning each
 * MatMul's outer float weight into int8) makes one copy of every derived tensor per branch: the merged int8
 * decoder stored each quantized weight twice (42% of fp32 where the split layout's int8 is 27%). The copies are
 * byte-identical, as the rewrite is deterministic, so they are found by content rather than by name.
 *
 * Bottom-up: a copy hoisted out of an inner If can be hoisted again when the enclosing branch's sibling holds
 * the same bytes. A subgraph input (Loop, Scan) is never hoisted: the caller binds it.
 */
import { createHash } from 'node:crypto';
import { allDefinedNames } from '../graph-index.js';
import type { Attribute, Graph, Node, Tensor } from '../ir.js';
import { NameAllocator } from '../names.js';
import { tensorBytes, tensorsEqual } from '../tensor.js';
import { hasSubgraphs } from '../traverse.js';
import { applied, type PassChange, type PassResult } from './pass.js';
import { mapNames } from './rename.js';

const PASS = 'hoist-shared-constants';

export interface HoistOptions {
  /** Only hoist tensors of at least this many elements (default 16: scalars and shapes cost nothing). */
  readonly minElements?: number;
}

interface Copy {
  readonly subgraph: number;
  readonly tensor: Tensor;
}

function fingerprint(t: Tensor): string {
  const h = createHash('sha1');
  h.update(`${t.dataType}:${t.dims.join('x')}:`);
  if (Array.isArray(t.data))
    for (const s of t.data as readonly Uint8Array[]) h.update(`${s.length}:`).update(s);
  else h.update(tensorBytes(t));
  return h.digest('hex');
}

export function hoistSharedConstants(graph: Graph, options: HoistOptions = {}): PassResult {
  const changes: PassChange[] = [];
  const names = new NameAllocator(allDefinedNames(graph));
  const result = hoist(graph, options.minElements ?? 16, names, changes);
  return { graph: result, changes };
}

function hoist(graph: Graph, minElements: number, names: NameAllocator, changes: PassChange[]): Graph {
  const lifted = new Map<string, Tensor>();
  const nodes = graph.nodes.map((n) => {
    const inner = hasSubgraphs(n) ? mapSubgraphs(n, (g) => hoist(g, minElements, names, changes)) : n;
    return liftFrom(inner, minElements, names, changes, lifted);
  });
  if (lifted.size === 0 && nodes.every((n, i) => n === graph.nodes[i])) return graph;
  return { ...graph, nodes, initializers: new Map([...graph.initializers, ...lifted]) };
}

/** `node`'s subgraphs in attribute order (a GRAPHS attribute contributes each of its graphs). */
function subgraphsOf(node: Node): Graph[] {
  return Object.values(node.attributes).flatMap((a: Attribute) =>
    a.type === 'GRAPH' ? [a.value] : a.type === 'GRAPHS' ? [...a.value] : [],
  );
}

/** Rebuilds `node` with `transform(graph, i)` applied to its i-th subgraph (subgraphsOf's order). */
function mapSubgraphs(node: Node, transform: (graph: Graph, index: number) => Graph): Node {
  let i = 0;
  const attributes: Record<string, Attribute> = {};
  for (const [name, a] of Object.entries(node.attributes)) {
    if (a.type === 'GRAPH') attributes[name] = { ...a, value: transform(a.value, i++) };
    else if (a.type === 'GRAPHS') attributes[name] = { ...a, value: a.value.map((g) => transform(g, i++)) };
    else attributes[name] = a;
  }
  const changed = subgraphsOf({ ...node, attributes }).some((g, k) => g !== subgraphsOf(node)[k]);
  return changed ? { ...node, attributes } : node;
}

/**
 * Finds the initializers held identically by two or more of `node`'s subgraphs, moves each into `lifted` under
 * a fresh name and makes every holder read that name.
 */
function liftFrom(
  node: Node,
  minElements: number,
  names: NameAllocator,
  changes: PassChange[],
  lifted: Map<string, Tensor>,
): Node {
  const graphs = subgraphsOf(node);
  if (graphs.length < 2) return node;
  const groups = new Map<string, Copy[]>();
  graphs.forEach((g, subgraph) => {
    const bound = new Set(g.inputs.map((v) => v.name));
    for (const [name, tensor] of g.initializers) {
      if (bound.has(name) || tensor.dims.reduce((a, b) => a * b, 1) < minElements) continue;
      const key = fingerprint(tensor);
      groups.set(key, [...(groups.get(key) ?? []), { subgraph, tensor: { ...tensor, name } }]);
    }
  });
  // Per subgraph: its initializer's name → the hoisted name it now reads.
  const renames = graphs.map(() => new Map<string, string>());
  for (const copies of groups.values()) {
    const first = copies[0]!.tensor;
    const same = copies.filter((c) => tensorsEqual(c.tensor, first));
    const holders = new Set(same.map((c) => c.subgraph));
    if (holders.size < 2) continue;
    const name = names.fresh(first.name);
    lifted.set(name, { ...first, name });
    for (const c of same) renames[c.subgraph]!.set(c.tensor.name, name);
    changes.push(
      applied(PASS, name, `one copy for ${holders.size} subgraphs of "${node.name || node.opType}"`),
    );
  }
  if (renames.every((m) => m.size === 0)) return node;
  return mapSubgraphs(node, (g, i) => {
    const mapping = renames[i]!;
    if (mapping.size === 0) return g;
    const initializers = new Map([...g.initializers].filter(([n]) => !mapping.has(n)));
    const valueInfo = g.valueInfo.filter((v) => !mapping.has(v.name));
    return mapNames(
      { ...g, initializers, valueInfo },
      (n) => mapping.get(n) ?? n,
      { definitions: false, mainOutputs: false },
      false,
    );
  });
}
