/** Topological order of a graph's nodes. */
import { TlcError } from '../errors/index.js';
import { nodeReads } from './graph-index.js';
import type { Graph, Node } from './ir.js';

/**
 * Nodes ordered so that every value is produced before it is read (implicit subgraph reads included).
 * Stable: among ready nodes the original order wins, so an already sorted graph comes back unchanged.
 * Values produced by no node (inputs, initializers, outer scope) count as available.
 */
export function topologicalOrder(graph: Graph): Node[] {
  const producerIndex = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const o of node.outputs) if (o !== '') producerIndex.set(o, i);
  });
  const pending = new Array<number>(graph.nodes.length).fill(0);
  const dependents: number[][] = graph.nodes.map(() => []);
  graph.nodes.forEach((node, i) => {
    const deps = new Set<number>();
    for (const name of nodeReads(node)) {
      const p = producerIndex.get(name);
      if (p !== undefined) deps.add(p);
    }
    if (deps.has(i)) throw cycleError(graph, [node]);
    pending[i] = deps.size;
    for (const d of deps) dependents[d]!.push(i);
  });
  // A min-heap on the original index keeps the order stable.
  const ready = new MinHeap();
  pending.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const order: Node[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(graph.nodes[i]!);
    for (const j of dependents[i]!) {
      pending[j]! -= 1;
      if (pending[j] === 0) ready.push(j);
    }
  }
  if (order.length !== graph.nodes.length) {
    throw cycleError(
      graph,
      graph.nodes.filter((_, i) => pending[i]! > 0),
    );
  }
  return order;
}

function cycleError(graph: Graph, stuck: readonly Node[]): TlcError {
  const names = stuck
    .slice(0, 5)
    .map((n) => `"${n.name || n.outputs[0]}" (${n.opType})`)
    .join(', ');
  return new TlcError(
    'GRAPH_CYCLE',
    `graph "${graph.name}" has a cycle through ${stuck.length} node(s): ${names}`,
  );
}

export function isTopologicallySorted(graph: Graph): boolean {
  const seen = new Set<string>();
  const produced = new Set<string>();
  for (const node of graph.nodes) for (const o of node.outputs) produced.add(o);
  for (const node of graph.nodes) {
    for (const name of nodeReads(node)) if (produced.has(name) && !seen.has(name)) return false;
    for (const o of node.outputs) seen.add(o);
  }
  return true;
}

class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= a[i]!) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
