/**
 * GraphBuilder: `b.op('MatMul', [x, w])` style construction. It names nodes and values uniquely, registers
 * initializers and opset imports, tracks element types so outputs can be typed, and can append to an
 * existing graph (as the autodiff and the compression passes do).
 */
import { TlcError } from '../errors/index.js';
import type { DataType } from './dtype.js';
import { inferOutputTypes } from './elem-type.js';
import { allDefinedNames } from './graph-index.js';
import {
  type Attribute,
  DEFAULT_IR_VERSION,
  type Dim,
  type Graph,
  type Model,
  type Node,
  type Tensor,
  type ValueInfo,
} from './ir.js';
import { NameAllocator } from './names.js';
import { tensorFromNumbers } from './tensor.js';
import { walkGraphs } from './traverse.js';

export const MS_DOMAIN = 'com.microsoft';

/** Default versions registered the first time a domain is used. */
const DEFAULT_DOMAIN_VERSIONS: Readonly<Record<string, number>> = { '': 17, [MS_DOMAIN]: 1 };

export interface OpOptions {
  /** Node name (made unique); default `<OpType>_<n>`. */
  readonly name?: string;
  readonly domain?: string;
  /** Output count (default 1) or explicit output names ('' for an omitted optional output). */
  readonly outputs?: number | readonly string[];
  readonly docString?: string;
}

export interface TypeSpec {
  readonly elemType: DataType;
  readonly shape?: readonly Dim[];
}

/** Names and opsets shared by a builder and the builders of its subgraphs. */
class BuildContext {
  readonly used = new Set<string>();
  readonly names = new NameAllocator(this.used);
  readonly types = new Map<string, DataType>();

  constructor(readonly opsets: Map<string, number>) {}

  unique(base: string): string {
    return this.names.fresh(base);
  }

  claim(name: string): string {
    if (name === '' || this.used.has(name)) {
      throw new TlcError(
        'GRAPH_BUILD_FAILED',
        `the value name "${name}" is empty or already used in this model`,
      );
    }
    this.used.add(name);
    return name;
  }
}

export interface BuilderOptions {
  readonly name?: string;
  /** domain → opset version; '' is the default domain (default 17). */
  readonly opsets?: Readonly<Record<string, number>>;
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly valueInfo: ValueInfo[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly scopes: string[] = [];
  private base: Graph | undefined;

  private constructor(
    readonly name: string,
    private readonly ctx: BuildContext,
  ) {}

  static create(options: BuilderOptions = {}): GraphBuilder {
    const opsets = new Map(Object.entries(options.opsets ?? { '': DEFAULT_DOMAIN_VERSIONS['']! }));
    return new GraphBuilder(options.name ?? 'main', new BuildContext(opsets));
  }

  /** A builder that appends to an existing graph (names already in the graph stay taken). */
  static extend(graph: Graph, opsets: ReadonlyMap<string, number>): GraphBuilder {
    const ctx = new BuildContext(new Map(opsets));
    for (const name of allDefinedNames(graph)) ctx.used.add(name);
    walkGraphs(graph, (g) => {
      for (const n of g.nodes) if (n.name !== '') ctx.used.add(n.name);
      for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) {
        if (v.type?.kind === 'tensor') ctx.types.set(v.name, v.type.elemType);
      }
      for (const t of g.initializers.values()) ctx.types.set(t.name, t.dataType);
    });
    const b = new GraphBuilder(graph.name, ctx);
    b.base = graph;
    return b;
  }

  /** Runs `fn` with names prefixed by `scope/` (nested scopes join with '/'). */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private scoped(base: string): string {
    return this.scopes.length === 0 ? base : `${this.scopes.join('/')}/${base}`;
  }

  /** Declares a graph input. */
  input(name: string, elemType: DataType, shape?: readonly Dim[]): string {
    this.ctx.claim(name);
    this.ctx.types.set(name, elemType);
    this.inputs.push({ name, type: { kind: 'tensor', elemType, ...(shape && { shape: [...shape] }) } });
    return name;
  }

  /** Adds an initializer under the tensor's own name (made unique if `unique` is set). */
  initializer(tensor: Tensor, options: { unique?: boolean } = {}): string {
    const name = options.unique
      ? this.ctx.unique(this.scoped(tensor.name || 'const'))
      : this.ctx.claim(tensor.name);
    this.initializers.set(name, name === tensor.name ? tensor : { ...tensor, name });
    this.ctx.types.set(name, tensor.dataType);
    return name;
  }

  /** Adds a constant as an initializer with a generated name. */
  constant(tensor: Tensor): string {
    return this.initializer(tensor, { unique: true });
  }

  /** A constant of any numeric type from plain numbers (converted to the type's storage). */
  constantOf(elemType: DataType, dims: readonly number[], values: readonly number[], name = 'const'): string {
    return this.constant(tensorFromNumbers(name, elemType, dims, values));
  }

  /** Adds a node; returns its first output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: OpOptions = {},
  ): string {
    const outs = this.opMulti(opType, inputs, attributes, options);
    const first = outs[0];
    if (first === undefined)
      throw new TlcError('GRAPH_BUILD_FAILED', `${opType}: a node needs at least one output`);
    return first;
  }

  /** Adds a node; returns all of its output names. */
  opMulti(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: OpOptions = {},
  ): string[] {
    const domain = options.domain ?? '';
    this.useDomain(domain);
    const name = this.ctx.unique(this.scoped(options.name ?? opType));
    const spec = options.outputs ?? 1;
    const outputs =
      typeof spec === 'number'
        ? Array.from({ length: spec }, (_, i) => this.ctx.unique(`${name}_output_${i}`))
        : spec.map((o) => (o === '' ? '' : this.ctx.claim(o)));
    for (const i of inputs) {
      if (i !== '' && !this.ctx.used.has(i)) {
        throw new TlcError(
          'GRAPH_BUILD_FAILED',
          `${opType} "${name}": input "${i}" is not a value of this graph`,
        );
      }
    }
    const node: Node = {
      name,
      opType,
      domain,
      inputs: [...inputs],
      outputs,
      attributes: { ...attributes },
      ...(options.docString !== undefined && { docString: options.docString }),
    };
    this.nodes.push(node);
    const types = inferOutputTypes(
      node,
      inputs.map((i) => this.ctx.types.get(i)),
    );
    outputs.forEach((o, i) => {
      const t = types[i];
      if (o !== '' && t !== undefined) this.ctx.types.set(o, t);
    });
    return outputs;
  }

  /** `base` if no value or node uses it yet, otherwise `base_<n>`; the name is not reserved. */
  availableName(base: string): string {
    let name = base;
    for (let n = 1; this.ctx.used.has(name); n++) name = `${base}_${n}`;
    return name;
  }

  /** Registers an opset import for a domain (default version when first used). */
  useDomain(domain: string, version?: number): void {
    const current = this.ctx.opsets.get(domain);
    if (version !== undefined && current !== undefined && current !== version) {
      throw new TlcError(
        'GRAPH_BUILD_FAILED',
        `domain "${domain}" is already imported at version ${current}, not ${version}`,
      );
    }
    if (current === undefined) this.ctx.opsets.set(domain, version ?? DEFAULT_DOMAIN_VERSIONS[domain] ?? 1);
  }

  opsetVersion(domain = ''): number | undefined {
    return this.ctx.opsets.get(domain);
  }

  /** The element type the builder knows for a value, if any. */
  typeOf(name: string): DataType | undefined {
    return this.ctx.types.get(name);
  }

  setType(name: string, elemType: DataType): void {
    this.ctx.types.set(name, elemType);
  }

  /** Declares a graph output; the element type defaults to the one the builder tracked. */
  output(name: string, spec?: Partial<TypeSpec>): string {
    const elemType = spec?.elemType ?? this.ctx.types.get(name);
    if (elemType === undefined) {
      throw new TlcError(
        'GRAPH_BUILD_FAILED',
        `output "${name}": element type unknown; pass { elemType } explicitly`,
      );
    }
    this.outputs.push({
      name,
      type: { kind: 'tensor', elemType, ...(spec?.shape && { shape: [...spec.shape] }) },
    });
    return name;
  }

  /** Records a value's type and shape in value_info (optional; ONNX Runtime infers shapes). */
  annotate(name: string, spec: TypeSpec): void {
    this.valueInfo.push({
      name,
      type: { kind: 'tensor', elemType: spec.elemType, ...(spec.shape && { shape: [...spec.shape] }) },
    });
  }

  /** Builds a subgraph (If branch, Loop body) that shares names and opsets with this builder. */
  subgraph(name: string, fn: (sub: GraphBuilder) => void): Graph {
    const sub = new GraphBuilder(this.ctx.unique(name), this.ctx);
    fn(sub);
    return sub.build();
  }

  /** The graph built so far (appended to the base graph when extending). */
  build(): Graph {
    const base = this.base;
    if (base === undefined) {
      return {
        name: this.name,
        nodes: [...this.nodes],
        inputs: [...this.inputs],
        outputs: [...this.outputs],
        valueInfo: [...this.valueInfo],
        initializers: new Map(this.initializers),
        sparseInitializers: [],
      };
    }
    return {
      ...base,
      nodes: [...base.nodes, ...this.nodes],
      inputs: [...base.inputs, ...this.inputs],
      outputs: [...base.outputs, ...this.outputs],
      valueInfo: [...base.valueInfo, ...this.valueInfo],
      initializers: new Map([...base.initializers, ...this.initializers]),
    };
  }

  opsets(): Map<string, number> {
    return new Map(this.ctx.opsets);
  }

  /** Wraps the graph in a model with this builder's opset imports. */
  toModel(
    options: { irVersion?: number; producerName?: string; producerVersion?: string; docString?: string } = {},
  ): Model {
    return {
      irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
      opsetImports: this.opsets(),
      producerName: options.producerName ?? 'tlc',
      ...(options.producerVersion !== undefined && { producerVersion: options.producerVersion }),
      ...(options.docString !== undefined && { docString: options.docString }),
      graph: this.build(),
    };
  }
}
