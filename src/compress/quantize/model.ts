/** Running a quantization pass on a model: the model's opsets go in, the domains the rewrite needs come out. */
import type { Graph, Model } from '../../onnx/ir.js';
import type { PassChange } from '../../onnx/passes/pass.js';
import type { QuantizeCommonOptions, QuantizeResult } from './driver.js';

/** A quantization pass (its options may be optional, as dynamicInt8's are). */
export type QuantizePass<Options extends QuantizeCommonOptions | undefined> = (
  graph: Graph,
  options: Options,
) => QuantizeResult;

/**
 * Applies a quantization pass to the model's main graph with the model's opset imports, and adds the opset
 * imports the new nodes need (com.microsoft 1).
 */
export function quantizeModel<Options extends QuantizeCommonOptions | undefined>(
  model: Model,
  pass: QuantizePass<Options>,
  options: NoInfer<Options>,
): { readonly model: Model; readonly changes: readonly PassChange[] } {
  const withOpsets = { ...options, opsets: options?.opsets ?? model.opsetImports } as Options;
  const result = pass(model.graph, withOpsets);
  if (result.graph === model.graph) return { model, changes: result.changes };
  const opsetImports = new Map(model.opsetImports);
  for (const [domain, version] of result.opsets)
    if (!opsetImports.has(domain)) opsetImports.set(domain, version);
  return { model: { ...model, graph: result.graph, opsetImports }, changes: result.changes };
}
