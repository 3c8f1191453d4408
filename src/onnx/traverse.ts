/** Visiting and rebuilding graphs together with the subgraphs held in node attributes (If, Loop, Scan…). */
import type { Attribute, Graph, Node } from './ir.js';

/** Calls `visit` on the graph and then on every nested subgraph, depth first. */
export function walkGraphs(graph: Graph, visit: (graph: Graph, depth: number) => void): void {
  walkGraphTree(graph, (g, _path, enclosing) => visit(g, enclosing.length));
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

/** The path of the main graph; subgraph paths extend it (`main/<node>.<attribute>[i]`). */
export const MAIN_PATH = 'main';

/** The path of a subgraph held by `node`'s attribute (`index` for GRAPHS attributes). */
export function subgraphPath(
  parent: string,
  node: Node,
  nodeIndex: number,
  attribute: string,
  index?: number,
): string {
  const id = node.name === '' ? `#${nodeIndex}` : node.name;
  return `${parent}/${id}.${attribute}${index === undefined ? '' : `[${index}]`}`;
}

/**
 * Rebuilds a graph tree bottom-up: subgraphs first, then `transform` on each level with its path. Returns the
 * same objects where nothing changed.
 */
export function mapGraphTree(
  graph: Graph,
  transform: (graph: Graph, path: string) => Graph,
  path = MAIN_PATH,
): Graph {
  let changed = false;
  const nodes = graph.nodes.map((node, i) => {
    let nodeChanged = false;
    const attributes: Record<string, Node['attributes'][string]> = {};
    for (const [name, a] of Object.entries(node.attributes)) {
      if (a.type === 'GRAPH') {
        const value = mapGraphTree(a.value, transform, subgraphPath(path, node, i, name));
        nodeChanged ||= value !== a.value;
        attributes[name] = { ...a, value };
      } else if (a.type === 'GRAPHS') {
        const value = a.value.map((g, k) => mapGraphTree(g, transform, subgraphPath(path, node, i, name, k)));
        nodeChanged ||= value.some((g, k) => g !== a.value[k]);
        attributes[name] = { ...a, value };
      } else attributes[name] = a;
    }
    changed ||= nodeChanged;
    return nodeChanged ? { ...node, attributes } : node;
  });
  return transform(changed ? { ...graph, nodes } : graph, path);
}

/** Calls `visit` on every level of the tree with its path and the levels enclosing it (outermost first). */
export function walkGraphTree(
  graph: Graph,
  visit: (graph: Graph, path: string, enclosing: readonly Graph[]) => void,
  path = MAIN_PATH,
  enclosing: readonly Graph[] = [],
): void {
  visit(graph, path, enclosing);
  graph.nodes.forEach((node, i) => {
    for (const [name, a] of Object.entries(node.attributes)) {
      if (a.type === 'GRAPH')
        walkGraphTree(a.value, visit, subgraphPath(path, node, i, name), [...enclosing, graph]);
      else if (a.type === 'GRAPHS')
        a.value.forEach((g, k) => {
          walkGraphTree(g, visit, subgraphPath(path, node, i, name, k), [...enclosing, graph]);
        });
    }
  });
}
