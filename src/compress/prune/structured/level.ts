/**
 * One graph level as the structured matchers see it: producers, consumers, constants (initializers of this
 * level and Constant nodes; names from enclosing graphs are not constants here), and the edits a rewrite
 * collects before they are applied at once.
 */
import { GraphIndex, nodeReads } from '../../../onnx/graph-index.js';
import type { Attribute, Graph, Node, Tensor, ValueInfo } from '../../../onnx/ir.js';
import type { NameAllocator } from '../../../onnx/names.js';
import { tensorToNumbers } from '../../../onnx/tensor-values.js';

export class Level {
  readonly index: GraphIndex;

  constructor(
    readonly graph: Graph,
    readonly path: string,
  ) {
    this.index = new GraphIndex(graph);
  }

  constant(name: string): Tensor | undefined {
    if (name === '') return undefined;
    const value = this.index.constantValue(name);
    if (value !== undefined) return value;
    // PyTorch's exporter shares equal initializers (zero biases of every layer) through Identity nodes.
    const p = this.index.producer(name)?.node;
    if (p === undefined || p.opType !== 'Identity' || p.domain !== '') return undefined;
    const source = this.constant(p.inputs[0] ?? '');
    return source === undefined ? undefined : { ...source, name };
  }

  /** A value this level reads from an enclosing graph (an If branch reading the main graph's past inputs). */
  isOuter(name: string): boolean {
    return (
      name !== '' &&
      this.index.producer(name) === undefined &&
      !this.graph.initializers.has(name) &&
      !this.index.graphInputs.has(name)
    );
  }

  /** A graph input of this level, or a value read from an enclosing graph. */
  isInput(name: string): boolean {
    return this.index.graphInputs.has(name) || this.isOuter(name);
  }

  /** Integer values of a constant (int32/int64), or undefined. */
  ints(name: string): number[] | undefined {
    const t = this.constant(name);
    if (t === undefined || (t.dataType !== 6 && t.dataType !== 7)) return undefined;
    return tensorToNumbers(t);
  }

  /** The node producing a value and which of its outputs it is. */
  producer(value: string): { node: Node; output: number } | undefined {
    const p = this.index.producer(value);
    return p === undefined ? undefined : { node: p.node, output: p.outputIndex };
  }

  consumers(value: string): readonly Node[] {
    return this.index.consumersOf(value);
  }

  /** The one node reading a value, when exactly one does and the value is not a graph output. */
  soleConsumer(value: string): Node | undefined {
    const c = this.index.consumersOf(value);
    return c.length === 1 && !this.index.isGraphOutput(value) ? c[0] : undefined;
  }

  /** Why a value is not read by exactly one node, for messages. */
  describeConsumers(value: string): string {
    if (this.index.isGraphOutput(value)) return `"${value}" is a graph output`;
    const c = this.index.consumersOf(value);
    return c.length === 0 ? `"${value}" is not read` : `"${value}" is read by ${c.map(describe).join(', ')}`;
  }
}

/** `values` with the declared dims in `dims` (name → axis → size) changed. */
export function redeclare(
  values: readonly ValueInfo[],
  dims: ReadonlyMap<string, ReadonlyMap<number, number>>,
): ValueInfo[] {
  return values.map((v) => {
    const change = dims.get(v.name);
    if (change === undefined || v.type?.kind !== 'tensor' || v.type.shape === undefined) return v;
    const shape = v.type.shape.map((d, i) => change.get(i) ?? d);
    return { ...v, type: { ...v.type, shape } };
  });
}

export function describe(node: Node): string {
  return `${node.domain === '' ? '' : `${node.domain}.`}${node.opType} "${node.name}"`;
}

export function isOp(node: Node | undefined, opType: string, domain = ''): node is Node {
  return node !== undefined && node.opType === opType && node.domain === domain;
}

/** Edits to one level, applied together: constant replacements, rewired inputs, attributes, dropped value_info. */
export class LevelEdit {
  private readonly replaced = new Map<string, Tensor>();
  private readonly added: Tensor[] = [];
  private readonly rewires = new Map<Node, Map<number, string>>();
  private readonly attributes = new Map<Node, Record<string, Attribute>>();
  private readonly orphans = new Set<string>();
  private readonly stale = new Set<string>();
  private readonly dims = new Map<string, Map<number, number>>();

  constructor(
    private readonly level: Level,
    private readonly names: NameAllocator,
  ) {}

  get empty(): boolean {
    return (
      this.replaced.size === 0 &&
      this.added.length === 0 &&
      this.attributes.size === 0 &&
      this.dims.size === 0
    );
  }

  /**
   * Gives the constant read at `node.inputs[index]` a new value: in place (same name) when it is an
   * initializer that only this input reads, else as a new initializer that only this input reads.
   */
  setConstant(node: Node, index: number, tensor: Tensor): void {
    const name = node.inputs[index]!;
    const g = this.level.graph;
    const inPlace =
      g.initializers.has(name) &&
      !this.level.index.graphInputs.has(name) &&
      !this.level.index.isGraphOutput(name) &&
      !this.replaced.has(name) &&
      this.level.consumers(name).length === 1 &&
      node.inputs.filter((i) => i === name).length === 1;
    if (inPlace) {
      this.replaced.set(name, { ...tensor, name });
      return;
    }
    const fresh = this.names.fresh(`${name}.pruned`);
    this.added.push({ ...tensor, name: fresh });
    let map = this.rewires.get(node);
    if (map === undefined) {
      map = new Map();
      this.rewires.set(node, map);
    }
    map.set(index, fresh);
    this.orphans.add(name);
  }

  setAttribute(node: Node, name: string, value: Attribute): void {
    this.attributes.set(node, { ...(this.attributes.get(node) ?? {}), [name]: value });
  }

  /**
   * A new size for axis `axis` of a graph input or output's declared shape (past/present keys' heads). Names
   * declared in an enclosing graph (an If branch's outer inputs) are left to the caller: `declaredDims`.
   */
  setDeclaredDim(name: string, axis: number, value: number): void {
    const map = this.dims.get(name) ?? new Map<number, number>();
    map.set(axis, value);
    this.dims.set(name, map);
  }

  /** Every declared-shape change asked for at this level, by value name. */
  get declaredDims(): ReadonlyMap<string, ReadonlyMap<number, number>> {
    return this.dims;
  }

  private declared(values: readonly ValueInfo[]): ValueInfo[] {
    return redeclare(values, this.dims);
  }

  /** Values whose shape changes: their value_info entries go. */
  invalidate(values: Iterable<string>): void {
    for (const v of values) if (v !== '') this.stale.add(v);
  }

  apply(): Graph {
    const g = this.level.graph;
    let nodes = g.nodes.map((node) => {
      const rewire = this.rewires.get(node);
      const attrs = this.attributes.get(node);
      if (rewire === undefined && attrs === undefined) return node;
      return {
        ...node,
        inputs: node.inputs.map((name, i) => rewire?.get(i) ?? name),
        attributes: { ...node.attributes, ...attrs },
      };
    });
    const initializers = new Map<string, Tensor>();
    for (const [name, t] of g.initializers) initializers.set(name, this.replaced.get(name) ?? t);
    for (const t of this.added) initializers.set(t.name, t);
    // Constants that no node reads any more (shared shape constants we replaced for one reader) go away.
    const read = new Set<string>(g.outputs.map((v) => v.name));
    for (const n of nodes) for (const name of nodeReads(n)) read.add(name);
    for (const name of this.orphans) {
      if (read.has(name) || this.level.index.graphInputs.has(name)) continue;
      initializers.delete(name);
      nodes = nodes.filter((n) => !(isOp(n, 'Constant') && n.outputs[0] === name));
    }
    return {
      ...g,
      nodes,
      inputs: this.declared(g.inputs),
      outputs: this.declared(g.outputs),
      initializers,
      valueInfo: g.valueInfo.filter((v) => !this.stale.has(v.name) && !this.orphans.has(v.name)),
    };
  }
}
