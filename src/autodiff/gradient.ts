/**
 * Reverse-mode differentiation of an ONNX graph: appends the backward nodes for d loss / d wrt and adds one
 * graph output per gradient. Only nodes on a path from a `wrt` value to the loss are visited, in reverse
 * topological order; gradients of values read by several nodes are summed; each rule's result is checked for
 * arity. Pure: returns a new graph.
 */
import { TlcError } from '../errors/index.js';
import { GraphBuilder } from '../onnx/builder.js';
import { indexGraph, nodeReads } from '../onnx/graph-index.js';
import type { Graph, Node } from '../onnx/ir.js';
import { topologicalOrder } from '../onnx/topo.js';
import { GradContext, isFloatType, type ValueFacts } from './context.js';
import { GRADIENT_RULES, ruleKey } from './rules/index.js';

export interface GradientOptions {
  /** The scalar (or tensor) value to differentiate; a tensor loss is treated as the sum of its elements. */
  readonly loss: string;
  /** Values (usually parameters) whose gradients are wanted. */
  readonly wrt: readonly string[];
  /** Types and shapes of the forward graph's values (see ort/shape-inference.ts). */
  readonly shapes: ReadonlyMap<string, ValueFacts>;
  /** Opset imports of the model (the default domain must be 17 or later). */
  readonly opsets: ReadonlyMap<string, number>;
  /** Gradient output names (default `<wrt>_grad`). */
  readonly gradName?: (wrt: string) => string;
}

export interface GradientResult {
  readonly graph: Graph;
  readonly opsets: ReadonlyMap<string, number>;
  /** wrt → name of its gradient output. */
  readonly gradients: ReadonlyMap<string, string>;
  /** wrt values the loss does not depend on (their gradient output is zeros). */
  readonly unreached: readonly string[];
}

export const MIN_AUTODIFF_OPSET = 17;

/**
 * Forward, the values that depend on a wrt value through floating-point data (`active`); backward, the values
 * the loss depends on (`needed`). Only nodes in both get gradients.
 */
function reachability(
  order: readonly Node[],
  options: GradientOptions,
  isFloat: (name: string) => boolean,
): { active: Set<string>; needed: Set<string> } {
  const active = new Set(options.wrt.filter(isFloat));
  for (const w of options.wrt)
    if (!isFloat(w)) throw new TlcError('AUTODIFF_FAILED', `"${w}" is not a floating-point value`);
  for (const node of order) {
    if (nodeReads(node).some((n) => active.has(n)))
      for (const o of node.outputs) if (o !== '' && isFloat(o)) active.add(o);
  }
  const needed = new Set<string>([options.loss]);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    if (node.outputs.some((o) => needed.has(o))) for (const r of nodeReads(node)) needed.add(r);
  }
  return { active, needed };
}

export function gradient(graph: Graph, options: GradientOptions): GradientResult {
  const opset = options.opsets.get('') ?? options.opsets.get('ai.onnx') ?? 0;
  if (opset < MIN_AUTODIFF_OPSET) {
    throw new TlcError(
      'AUTODIFF_FAILED',
      `autodiff needs default-domain opset ${MIN_AUTODIFF_OPSET} or later, the graph has ${opset}`,
    );
  }
  const index = indexGraph(graph);
  const facts = new Map(options.shapes);
  const isFloat = (name: string) =>
    isFloatType(facts.get(name)?.elemType ?? graph.initializers.get(name)?.dataType);
  const order = topologicalOrder(graph);

  const { active, needed } = reachability(order, options, isFloat);
  if (!active.has(options.loss)) {
    throw new TlcError(
      'AUTODIFF_FAILED',
      `the loss "${options.loss}" does not depend on any of the requested values`,
    );
  }

  const b = GraphBuilder.extend(graph, options.opsets);
  const ctx = new GradContext(b, facts, index, opset);
  const contributions = new Map<string, string[]>();
  const add = (name: string, grad: string) => {
    ctx.remember(grad, name);
    const list = contributions.get(name);
    if (list === undefined) contributions.set(name, [grad]);
    else list.push(grad);
  };
  const total = (name: string): string | null => {
    const list = contributions.get(name);
    if (list === undefined || list.length === 0) return null;
    if (list.length === 1) return list[0]!;
    const sum = b.op('Sum', list, {}, { name: 'grad/Sum' });
    ctx.remember(sum, name);
    contributions.set(name, [sum]);
    return sum;
  };

  // Seed: d loss / d loss = 1 (ones in the loss's shape for a tensor loss).
  const one = ctx.scalar(1, options.loss);
  add(
    options.loss,
    ctx.rank(options.loss) === 0
      ? one
      : b.op('Expand', [one, ctx.shapeOf(options.loss)], {}, { name: 'grad/seed' }),
  );

  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    if (!node.outputs.some((o) => active.has(o) && needed.has(o))) continue;
    if (!node.inputs.some((x) => active.has(x)) && !nodeReads(node).some((x) => active.has(x))) continue;
    const outputGrads = node.outputs.map((o) => (o === '' ? null : total(o)));
    if (outputGrads.every((g) => g === null)) continue;
    differentiate(ctx, node, outputGrads, (k) => active.has(node.inputs[k] ?? ''), add);
  }

  const gradients = new Map<string, string>();
  const unreached: string[] = [];
  for (const w of options.wrt) {
    let g = total(w);
    if (g === null) {
      unreached.push(w);
      g = ctx.zeros(ctx.shapeOf(w), w);
    }
    const name = b.availableName(options.gradName?.(w) ?? `${w}_grad`);
    b.op('Identity', [g], {}, { name: `grad/${w}`, outputs: [name] });
    b.output(name, { elemType: ctx.elemType(w), shape: ctx.shape(w) });
    gradients.set(w, name);
  }
  return { graph: b.build(), opsets: b.opsets(), gradients, unreached };
}

function differentiate(
  ctx: GradContext,
  node: Node,
  outputGrads: (string | null)[],
  needs: (i: number) => boolean,
  add: (name: string, grad: string) => void,
): void {
  const key = ruleKey(node.domain, node.opType);
  const rule = Object.hasOwn(GRADIENT_RULES, key) ? GRADIENT_RULES[key] : undefined;
  if (rule === undefined) {
    throw new TlcError(
      'AUTODIFF_NO_RULE',
      `no gradient rule for ${key} (node "${node.name}"); it lies between the parameters and the loss`,
    );
  }
  const result = rule(ctx, { node, outputGrads, needs });
  if (result.length !== node.inputs.length) {
    throw new TlcError(
      'AUTODIFF_FAILED',
      `the gradient rule for ${key} returned ${result.length} gradients for ${node.inputs.length} inputs (node "${node.name}")`,
    );
  }
  result.forEach((g, k) => {
    const input = node.inputs[k]!;
    if (g !== null && input !== '' && needs(k)) add(input, g);
  });
}
