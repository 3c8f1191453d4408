/** Removes nodes whose outputs never reach a graph output. */
import { nodeReads } from '../graph-index.js';
import type { Graph, Node } from '../ir.js';
import { mapNodeSubgraphs } from '../traverse.js';
import { applied, type PassChange, type PassResult } from './pass.js';
import { dropStaleValueInfo } from './value-info.js';

const PASS = 'remove-dead-nodes';

export interface DeadNodeOptions {
  /** Also clean subgraphs of If/Loop/Scan (default true). */
  readonly recurse?: boolean;
}

export function removeDeadNodes(graph: Graph, options: DeadNodeOptions = {}): PassResult {
  const changes: PassChange[] = [];
  const result = sweep(graph, options.recurse ?? true, changes);
  return { graph: result, changes };
}

function sweep(graph: Graph, recurse: boolean, changes: PassChange[]): Graph {
  let nodes: readonly Node[] = graph.nodes;
  // Subgraphs are swept first (a dead node inside a branch may be the last reader of an outer value), but
  // their changes are reported only for nodes that stay: a removed If needs no report about its branches.
  const inner = new Map<Node, PassChange[]>();
  if (recurse) {
    const mapped = nodes.map((n) => {
      const local: PassChange[] = [];
      const swept = mapNodeSubgraphs(n, (g) => sweep(g, true, local));
      inner.set(swept, local);
      return swept;
    });
    if (mapped.some((n, i) => n !== nodes[i])) nodes = mapped;
  }
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  const live = new Set<Node>();
  const stack = graph.outputs.map((v) => v.name);
  while (stack.length > 0) {
    const node = producer.get(stack.pop()!);
    if (node === undefined || live.has(node)) continue;
    live.add(node);
    stack.push(...nodeReads(node));
  }
  for (const n of nodes) if (live.has(n)) changes.push(...(inner.get(n) ?? []));
  if (live.size === nodes.length) return nodes === graph.nodes ? graph : { ...graph, nodes };
  for (const n of nodes) {
    if (!live.has(n))
      changes.push(
        applied(
          PASS,
          n.name || n.outputs[0] || n.opType,
          `removed ${n.opType} node in graph "${graph.name}"`,
        ),
      );
  }
  return dropStaleValueInfo({ ...graph, nodes: nodes.filter((n) => live.has(n)) });
}
