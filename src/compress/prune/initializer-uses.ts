/**
 * Which initializer a node input refers to when subgraphs read names from enclosing scopes (for the pruning
 * passes); the tree walks themselves are onnx/traverse.ts's.
 */
import { definedNames } from '../../onnx/graph-index.js';
import type { Graph, Node } from '../../onnx/ir.js';
import { MAIN_PATH, subgraphPath } from '../../onnx/traverse.js';

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
