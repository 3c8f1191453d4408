/**
 * Turns a forward model with parameters stored as initializers into the graphs a trainer runs: parameters
 * become graph inputs (so one session serves every step while the values change in JavaScript memory), and
 * the backward graph from the autodiff is appended with one gradient output per parameter.
 */
import { gradient } from '../autodiff/gradient.js';
import { TlcError } from '../errors/index.js';
import { attr } from '../onnx/attributes.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Model, Tensor, ValueInfo } from '../onnx/ir.js';
import { removeDeadNodes } from '../onnx/passes/dead-nodes.js';
import { inferShapes } from '../ort/shape-inference.js';

export interface TrainableGraph {
  /** Forward + backward; inputs: the data inputs, then every parameter. Outputs: the loss, then the gradients. */
  readonly model: Model;
  /** The forward graph with parameters as inputs (for evaluation and finite differences). */
  readonly forward: Model;
  readonly loss: string;
  /** Output: Σ over every gradient of Σ g² (the squared global norm, computed on ORT's threads). */
  readonly gradNormSquared: string;
  /** Parameter name → gradient output name, in parameter order. */
  readonly gradients: ReadonlyMap<string, string>;
  /** Initial parameter values, taken out of the model. */
  readonly initial: ReadonlyMap<string, Tensor>;
}

/** Moves the named initializers to graph inputs; their values are returned separately. */
export function paramsAsInputs(
  model: Model,
  params: readonly string[],
): { model: Model; initial: Map<string, Tensor> } {
  const graph = model.graph;
  const initial = new Map<string, Tensor>();
  const inputs: ValueInfo[] = [...graph.inputs];
  const initializers = new Map(graph.initializers);
  for (const name of params) {
    const t = graph.initializers.get(name);
    if (t === undefined)
      throw new TlcError('AUTODIFF_FAILED', `parameter "${name}" is not an initializer of the model`);
    initial.set(name, t);
    initializers.delete(name);
    inputs.push({ name, type: { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] } });
  }
  return { model: { ...model, graph: { ...graph, inputs, initializers } }, initial };
}

export async function buildTrainable(
  model: Model,
  params: readonly string[],
  loss: string,
): Promise<TrainableGraph> {
  const { model: forward, initial } = paramsAsInputs(model, params);
  const shapes = await inferShapes(forward);
  const result = gradient(forward.graph, { loss, wrt: params, shapes, opsets: forward.opsetImports });
  const b = GraphBuilder.extend(result.graph, result.opsets);
  const squares = params.map((p) =>
    b.op(
      'ReduceSumSquare',
      [result.gradients.get(p)!],
      { keepdims: attr.int(0) },
      { name: 'grad_norm/square' },
    ),
  );
  const gradNormSquared = b.op(
    'Sum',
    squares,
    {},
    { name: 'grad_norm/sum', outputs: [b.availableName('grad_norm_sq')] },
  );
  b.output(gradNormSquared, { shape: [] });
  const graph = b.build();
  const outputs = [
    ...graph.outputs.filter((o) => o.name === loss || o.name === gradNormSquared),
    ...params.map((p) => graph.outputs.find((o) => o.name === result.gradients.get(p))!),
  ];
  // Outputs the step does not fetch (predictions, say) and the nodes behind them are dropped.
  const pruned = removeDeadNodes({ ...graph, outputs }).graph;
  const trained: Model = { ...forward, opsetImports: b.opsets(), graph: pruned };
  return { model: trained, forward, loss, gradNormSquared, gradients: result.gradients, initial };
}
