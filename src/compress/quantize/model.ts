/** Running a quantization pass on a model: the model's opsets go in, the domains the rewrite needs come out. */
import type { Graph, Model } from '../../onnx/ir.js';
import { hoistSharedConstants } from '../../onnx/passes/hoist-shared-constants.js';
import type { PassChange } from '../../onnx/passes/pass.js';
import { hasSubgraphs } from '../../onnx/traverse.js';
import type { QuantizeCommonOptions, QuantizeResult } from './driver.js';

/** A quantization pass (its options may be optional, as dynamicInt8's are). */
export type QuantizePass<Options extends QuantizeCommonOptions | undefined> = (
  graph: Graph,
  options: Options,
) => QuantizeResult;

/**
 * Applies a quantization pass to the model's main graph with the model's opset imports, and adds the opset
 * imports the new nodes need (com.microsoft 1). Tensors that several subgraphs of one node derived alike (an
 * Optimum merged decoder's branches quantizing the weights they share) are then stored once, in the enclosing
 * graph (onnx/passes/hoist-shared-constants.ts).
 */
export function quantizeModel<Options extends QuantizeCommonOptions | undefined>(
  model: Model,
  pass: QuantizePass<Options>,
  options: NoInfer<Options>,
): { readonly model: Model; readonly changes: readonly PassChange[] } {
  const withOpsets = { ...options, opsets: options?.opsets ?? model.opsetImports } as Options;
  const result = pass(model.graph, withOpsets);
  if (result.graph === model.graph) return { model, changes: result.changes };
  // Subgraphs are rewritten one by one: what two If branches derived from one outer weight is stored once.
  const graph = result.graph.nodes.some(hasSubgraphs)
    ? hoistSharedConstants(result.graph).graph
    : result.graph;
  const opsetImports = new Map(model.opsetImports);
  for (const [domain, version] of result.opsets)
    if (!opsetImports.has(domain)) opsetImports.set(domain, version);
  return { model: { ...model, graph, opsetImports }, changes: result.changes };
}
