/**
 * The pass contract: `(graph, options) → { graph, changes }`. A pass is pure: it never mutates its input
 * (tensor data included) and returns the same graph object when nothing changed. A pass that cannot apply
 * somewhere says why in a 'declined' change instead of throwing. The caller validates the result with
 * ONNX Runtime.
 */
import type { Graph, Model } from '../ir.js';

export interface PassChange {
  readonly pass: string;
  readonly kind: 'applied' | 'declined';
  /** The node, value or tensor concerned. */
  readonly target: string;
  readonly detail: string;
}

export interface PassResult {
  readonly graph: Graph;
  readonly changes: readonly PassChange[];
}

export type GraphPass<Options> = (graph: Graph, options: Options) => PassResult;

export function applied(pass: string, target: string, detail: string): PassChange {
  return { pass, kind: 'applied', target, detail };
}

export function declined(pass: string, target: string, detail: string): PassChange {
  return { pass, kind: 'declined', target, detail };
}

/** Runs a graph pass on a model's main graph. */
export function applyToModel<Options>(
  model: Model,
  pass: GraphPass<Options>,
  options: Options,
): { model: Model; changes: readonly PassChange[] } {
  const { graph, changes } = pass(model.graph, options);
  return { model: graph === model.graph ? model : { ...model, graph }, changes };
}
