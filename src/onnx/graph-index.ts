/** Producer / consumer queries over a graph, counting uses from inside subgraphs (implicit inputs). */
import type { Graph, Node, Tensor, ValueInfo } from './ir.js';
import { walkGraphs } from './traverse.js';

/** Names a graph defines itself: inputs, initializers, sparse initializers and node outputs. */
export function definedNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const v of graph.inputs) names.add(v.name);
  for (const name of graph.initializers.keys()) names.add(name);
  for (const s of graph.sparseInitializers) names.add(s.values.name);
  for (const node of graph.nodes) for (const o of node.outputs) if (o !== '') names.add(o);
  return names;
}

/** Every name defined anywhere in the graph tree (inputs, initializers, node outputs, at every level). */
export function allDefinedNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  walkGraphs(graph, (g) => {
    for (const v of g.inputs) names.add(v.name);
    for (const n of g.initializers.keys()) names.add(n);
    for (const s of g.sparseInitializers) names.add(s.values.name);
    for (const node of g.nodes) for (const o of node.outputs) if (o !== '') names.add(o);
  });
  return names;
}

/**
 * Names a graph reads from its enclosing scope: used by its nodes (or its own subgraphs, or named as its
 * outputs) but not defined inside it. For a main graph these are undefined values.
 */
export function outerReferences(graph: Graph): Set<string> {
  const defined = definedNames(graph);
  const refs = new Set<string>();
  for (const node of graph.nodes) {
    for (const name of nodeReads(node)) if (!defined.has(name)) refs.add(name);
  }
  for (const v of graph.outputs) if (!defined.has(v.name)) refs.add(v.name);
  return refs;
}

/** Every value a node reads: its explicit inputs and the outer references of its subgraphs. */
export function nodeReads(node: Node): string[] {
  const names = node.inputs.filter((n) => n !== '');
  for (const a of Object.values(node.attributes)) {
    if (a.type === 'GRAPH') names.push(...outerReferences(a.value));
    else if (a.type === 'GRAPHS') for (const g of a.value) names.push(...outerReferences(g));
  }
  return names;
}

export interface Producer {
  readonly node: Node;
  readonly outputIndex: number;
}

/** A snapshot index of one graph level; build a new one after changing the graph. */
export class GraphIndex {
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Node[]>();
  readonly graphInputs: ReadonlyMap<string, ValueInfo>;
  readonly graphOutputs: ReadonlySet<string>;
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;

  constructor(readonly graph: Graph) {
    for (const node of graph.nodes) {
      node.outputs.forEach((name, outputIndex) => {
        if (name !== '') this.producers.set(name, { node, outputIndex });
      });
      for (const name of new Set(nodeReads(node))) {
        const list = this.consumers.get(name);
        if (list === undefined) this.consumers.set(name, [node]);
        else list.push(node);
      }
    }
    this.graphInputs = new Map(graph.inputs.map((v) => [v.name, v]));
    this.graphOutputs = new Set(graph.outputs.map((v) => v.name));
    this.valueInfo = new Map([...graph.valueInfo, ...graph.inputs, ...graph.outputs].map((v) => [v.name, v]));
  }

  producer(name: string): Producer | undefined {
    return this.producers.get(name);
  }

  /** Nodes that read the value, directly or from a subgraph. */
  consumersOf(name: string): readonly Node[] {
    return this.consumers.get(name) ?? [];
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  /** The constant tensor behind a value: an initializer that is not also a graph input, or a Constant node's value. */
  constantValue(name: string): Tensor | undefined {
    const init = this.graph.initializers.get(name);
    if (init !== undefined) return this.graphInputs.has(name) ? undefined : init;
    const p = this.producers.get(name);
    if (p?.node.opType === 'Constant' && p.node.domain === '') {
      const value = p.node.attributes.value;
      if (value?.type === 'TENSOR') return value.value;
    }
    return undefined;
  }
}

export function indexGraph(graph: Graph): GraphIndex {
  return new GraphIndex(graph);
}
