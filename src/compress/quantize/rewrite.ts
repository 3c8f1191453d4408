/**
 * What a quantization handler sees and returns. Handlers are pure functions of (node, context, options):
 * they read the graph through the context and RETURN a rewrite (nodes to remove, nodes and initializers to
 * add) or a reason for declining; the driver (driver.ts) checks and applies them. Nothing is mutated in place.
 */
import { MS_DOMAIN } from '../../onnx/builder.js';
import type { GraphIndex } from '../../onnx/graph-index.js';
import type { Attribute, Graph, Node, Tensor } from '../../onnx/ir.js';

export interface Rewrite {
  /** The nodes replaced (the handler's node among them). Their output names are reused by `add`. */
  readonly remove: readonly Node[];
  /**
   * The replacement nodes, in topological order. A node object shared by several rewrites (a memoized
   * QuantizeLinear of one activation) is added once.
   */
  readonly add: readonly Node[];
  /** New initializers; a tensor object shared by several rewrites (a tied embedding's table) is added once. */
  readonly initializers: readonly Tensor[];
  /** For the change report. */
  readonly detail: string;
}

/** A further verdict about a node next to the main one (e.g. an Add whose bias could not be folded). */
export interface Note {
  readonly kind: 'applied' | 'declined';
  readonly target: string;
  readonly detail: string;
}

export type HandlerResult =
  | { readonly kind: 'rewrite'; readonly rewrite: Rewrite; readonly notes?: readonly Note[] }
  | { readonly kind: 'declined'; readonly reason: string }
  /** Not a candidate at all (a Gather over shape values): nothing to report. */
  | { readonly kind: 'skip' };

export interface HandlerContext {
  readonly graph: Graph;
  readonly index: GraphIndex;
  /** The constant behind a value: an initializer or Constant node of this graph or of an enclosing one. */
  constant(name: string): Tensor | undefined;
  /** The opset version the model imports for a domain ('' = ai.onnx), if known. */
  opset(domain: string): number | undefined;
  /** A name no value or node of the model uses yet (reserved on return). */
  fresh(base: string): string;
  /**
   * Memoizes a derived object per graph (a quantized weight shared by two uses, a QuantizeLinear shared by
   * the MatMuls that read one activation), so that equal work yields the same object.
   */
  memo<T>(key: string, make: () => T): T;
  /** Whether the node selection allows touching this node (a consumer about to be folded in, say). */
  selected(node: Node): boolean;
}

export type Handler<Options> = (node: Node, ctx: HandlerContext, options: Options) => HandlerResult;

export type HandlerTable<Options> = Readonly<Record<string, Handler<Options>>>;

export function declineWith(reason: string): HandlerResult {
  return { kind: 'declined', reason };
}

export const SKIP: HandlerResult = { kind: 'skip' };

/** The name a node is reported under. */
export function nodeLabel(node: Node): string {
  return node.name || node.outputs[0] || node.opType;
}

/** A new node with a fresh name derived from `base`. */
export function makeNode(
  ctx: HandlerContext,
  base: string,
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, Attribute>> = {},
  domain = '',
): Node {
  return { name: ctx.fresh(base), opType, domain, inputs: [...inputs], outputs: [...outputs], attributes };
}

/** A new com.microsoft node. */
export function makeMsNode(
  ctx: HandlerContext,
  base: string,
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, Attribute>> = {},
): Node {
  return makeNode(ctx, base, opType, inputs, outputs, attributes, MS_DOMAIN);
}
