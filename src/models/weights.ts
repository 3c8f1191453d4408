/** Putting trained parameter values into a model's initializers (for evaluation, export and serving graphs). */
import { TlcError } from '../errors/index.js';
import type { Model, Tensor } from '../onnx/ir.js';

/**
 * A copy of `model` whose initializers take their values from `weights` (matched by name). Every parameter the
 * model has must be given, with the same element count; extra weights (used by other graphs) are ignored.
 */
export function withWeights(model: Model, weights: ReadonlyMap<string, Tensor['data']>): Model {
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of model.graph.initializers) {
    const w = weights.get(name);
    if (w === undefined) {
      initializers.set(name, t);
      continue;
    }
    if (w.length !== t.data.length || w.constructor !== t.data.constructor) {
      throw new TlcError(
        'CHECKPOINT_FAILED',
        `weight "${name}" has ${w.length} ${w.constructor.name} values, the model needs ${t.data.length}`,
      );
    }
    initializers.set(name, { ...t, data: w });
  }
  return { ...model, graph: { ...model.graph, initializers } };
}
