/** Visiting and rebuilding graphs together with the subgraphs held in node attributes (If, Loop, Scan…). */
import type { Attribute, Graph, Node } from './ir.js';

/** Calls `visit` on the graph and then on every nested subgraph, depth first. */
export function walkGraphs(graph: Graph, visit: (graph: Graph, depth: number) => void, depth = 0): void {
  visit(graph, depth);
  for (const node of graph.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (a.type === 'GRAPH') walkGraphs(a.value, visit, depth + 1);
      else if (a.type === 'GRAPHS') for (const g of a.value) walkGraphs(g, visit, depth + 1);
    }
  }
}

/** Every node of the graph and its subgraphs. */
export function allNodes(graph: Graph): Node[] {
  const out: Node[] = [];
  walkGraphs(graph, (g) => out.push(...g.nodes));
  return out;
}

/**
 * Rebuilds a node with `transform` applied to each of its subgraphs; returns the same node object when no
 * subgraph changed, so callers can tell whether anything happened.
 */
export function mapNodeSubgraphs(node: Node, transform: (graph: Graph) => Graph): Node {
  let changed = false;
  const attributes: Record<string, Attribute> = {};
  for (const [name, a] of Object.entries(node.attributes)) {
    if (a.type === 'GRAPH') {
      const value = transform(a.value);
      changed ||= value !== a.value;
      attributes[name] = { ...a, value };
    } else if (a.type === 'GRAPHS') {
      const value = a.value.map(transform);
      changed ||= value.some((g, i) => g !== a.value[i]);
      attributes[name] = { ...a, value };
    } else {
      attributes[name] = a;
    }
  }
  return changed ? { ...node, attributes } : node;
}

export function hasSubgraphs(node: Node): boolean {
  return Object.values(node.attributes).some((a) => a.type === 'GRAPH' || a.type === 'GRAPHS');
}
