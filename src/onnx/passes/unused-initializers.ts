/** Removes initializers (dense and sparse) that nothing reads. */
import { nodeReads } from '../graph-index.js';
import type { Graph, Node, Tensor } from '../ir.js';
import { mapNodeSubgraphs } from '../traverse.js';
import { applied, declined, type PassChange, type PassResult } from './pass.js';
import { dropStaleValueInfo } from './value-info.js';

const PASS = 'remove-unused-initializers';

export interface UnusedInitializerOptions {
  readonly recurse?: boolean;
}

export function removeUnusedInitializers(graph: Graph, options: UnusedInitializerOptions = {}): PassResult {
  const changes: PassChange[] = [];
  return { graph: sweep(graph, options.recurse ?? true, changes), changes };
}

function sweep(graph: Graph, recurse: boolean, changes: PassChange[]): Graph {
  let nodes: readonly Node[] = graph.nodes;
  if (recurse) {
    const mapped = nodes.map((n) => mapNodeSubgraphs(n, (g) => sweep(g, true, changes)));
    if (mapped.some((n, i) => n !== nodes[i])) nodes = mapped;
  }
  const used = new Set<string>(graph.outputs.map((v) => v.name));
  for (const n of nodes) for (const name of nodeReads(n)) used.add(name);
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const initializers = new Map<string, Tensor>();
  for (const [name, tensor] of graph.initializers) {
    if (used.has(name)) initializers.set(name, tensor);
    else if (inputs.has(name)) {
      // Before IR 4 an initializer doubles as the default of a graph input; removing it would make the input required.
      initializers.set(name, tensor);
      changes.push(declined(PASS, name, 'unused, but it is the default value of a graph input'));
    } else changes.push(applied(PASS, name, `removed unused initializer from graph "${graph.name}"`));
  }
  const sparse = graph.sparseInitializers.filter((s) => {
    const name = s.values.name;
    if (used.has(name)) return true;
    if (inputs.has(name)) {
      changes.push(declined(PASS, name, 'unused, but it is the default value of a graph input'));
      return true;
    }
    changes.push(applied(PASS, name, `removed unused sparse initializer from graph "${graph.name}"`));
    return false;
  });
  const sameInit = initializers.size === graph.initializers.size;
  const sameSparse = sparse.length === graph.sparseInitializers.length;
  if (sameInit && sameSparse) return nodes === graph.nodes ? graph : { ...graph, nodes };
  return dropStaleValueInfo({ ...graph, nodes, initializers, sparseInitializers: sparse });
}
