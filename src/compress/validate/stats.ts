/** Size statistics of a model for the report: parameters, zeros, bytes by element type. */
import { dataTypeName, numel } from '../../onnx/dtype.js';
import type { Model } from '../../onnx/ir.js';
import { tensorByteLength } from '../../onnx/tensor.js';
import { walkGraphs } from '../../onnx/traverse.js';

export interface ModelStats {
  /** Elements of all initializers (dense) and non-zeros of sparse initializers. */
  readonly parameters: number;
  /** Elements that are exactly zero, over floating-point and integer weight tensors of at least 1024 elements. */
  readonly zeros: number;
  readonly sparsity: number;
  readonly bytesByType: Readonly<Record<string, number>>;
}

export function modelStats(model: Model): ModelStats {
  let parameters = 0;
  let zeros = 0;
  let counted = 0;
  const bytesByType: Record<string, number> = {};
  walkGraphs(model.graph, (g) => {
    for (const t of g.initializers.values()) {
      const n = numel(t.dims);
      parameters += n;
      const key = dataTypeName(t.dataType).toLowerCase();
      bytesByType[key] = (bytesByType[key] ?? 0) + tensorByteLength(t);
      if (Array.isArray(t.data) || n < 1024 || t.data.length !== n) continue;
      counted += n;
      const data = t.data as ArrayLike<number | bigint>;
      for (let i = 0; i < n; i++) if (data[i] === 0 || data[i] === 0n) zeros += 1;
    }
    for (const s of g.sparseInitializers) parameters += numel(s.values.dims);
  });
  return { parameters, zeros, sparsity: counted === 0 ? 0 : zeros / counted, bytesByType };
}
