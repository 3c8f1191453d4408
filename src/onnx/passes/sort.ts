/** Puts nodes in topological order (ONNX requires it; graph rewrites may append out of order). */
import type { Graph } from '../ir.js';
import { topologicalOrder } from '../topo.js';
import { mapNodeSubgraphs } from '../traverse.js';
import { applied, type PassChange, type PassResult } from './pass.js';

const PASS = 'sort-topologically';

export function sortTopologically(graph: Graph, _options: Record<string, never> = {}): PassResult {
  const changes: PassChange[] = [];
  return { graph: sort(graph, changes), changes };
}

function sort(graph: Graph, changes: PassChange[]): Graph {
  const nodes = graph.nodes.map((n) => mapNodeSubgraphs(n, (g) => sort(g, changes)));
  const order = topologicalOrder({ ...graph, nodes });
  const moved = order.some((n, i) => n !== nodes[i]);
  if (moved) changes.push(applied(PASS, graph.name, 'reordered nodes'));
  if (!moved && nodes.every((n, i) => n === graph.nodes[i])) return graph;
  return { ...graph, nodes: order };
}
