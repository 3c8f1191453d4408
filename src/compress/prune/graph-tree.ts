/**
 * Graph trees for the pruning passes: stable paths for subgraphs (If branches, Loop bodies), rebuilding a
 * tree level by level, and resolving which initializer a node input refers to when subgraphs read names
 * from enclosing scopes.
 */
import { definedNames } from '../../onnx/graph-index.js';
import type { Graph, Node } from '../../onnx/ir.js';

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

/** One read of a constant initializer by a node input (possibly from inside a subgraph). */
export interface InitializerUse {
  readonly node: Node;
  readonly inputIndex: number;
  /** Path of the graph level the node sits in. */
  readonly nodePath: string;
}

/** Where an initializer is defined: the level's path and the tensor name. */
export function initializerKey(path: string, name: string): string {
  return `${path}\u0000${name}`;
}

/**
 * Every read of every constant initializer in the tree, keyed by `initializerKey(level path, name)`. Names
 * resolve to the innermost level that defines them, as ONNX scoping says; initializers that are also graph
 * inputs (overridable defaults) are not constants and are left out. Graph outputs that name an initializer
 * are reported in `asOutput`.
 */
export function initializerUses(main: Graph): {
  uses: Map<string, InitializerUse[]>;
  asOutput: Set<string>;
} {
  const uses = new Map<string, InitializerUse[]>();
  const asOutput = new Set<string>();
  const scopes: { path: string; graph: Graph; defined: Set<string>; inputs: Set<string> }[] = [];
  const resolve = (name: string): string | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const s = scopes[i]!;
      if (!s.defined.has(name)) continue;
      return s.graph.initializers.has(name) && !s.inputs.has(name) ? initializerKey(s.path, name) : undefined;
    }
    return undefined;
  };
  const visit = (graph: Graph, path: string): void => {
    scopes.push({
      path,
      graph,
      defined: definedNames(graph),
      inputs: new Set(graph.inputs.map((v) => v.name)),
    });
    graph.nodes.forEach((node, i) => {
      node.inputs.forEach((name, inputIndex) => {
        if (name === '') return;
        const key = resolve(name);
        if (key === undefined) return;
        const list = uses.get(key);
        const use = { node, inputIndex, nodePath: path };
        if (list === undefined) uses.set(key, [use]);
        else list.push(use);
      });
      for (const [attrName, a] of Object.entries(node.attributes)) {
        if (a.type === 'GRAPH') visit(a.value, subgraphPath(path, node, i, attrName));
        else if (a.type === 'GRAPHS')
          a.value.forEach((g, k) => {
            visit(g, subgraphPath(path, node, i, attrName, k));
          });
      }
    });
    for (const v of graph.outputs) {
      const key = resolve(v.name);
      if (key !== undefined) asOutput.add(key);
    }
    scopes.pop();
  };
  visit(main, MAIN_PATH);
  return { uses, asOutput };
}

/** `name`, or `name` qualified by its subgraph path when it is not in the main graph (for messages). */
export function qualified(path: string, name: string): string {
  return path === MAIN_PATH ? name : `${path}:${name}`;
}
