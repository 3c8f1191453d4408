/**
 * Shapes of every value in a graph, as ONNX Runtime infers them. ORT runs ONNX's own shape-inference
 * functions when it loads a model and reports the result for graph outputs, so listing every node output as
 * a graph output (with optimisations off, so nothing is fused away) yields types and symbolic shapes for all
 * of them — without TLC re-implementing per-op inference.
 */
import { type DataType, dataTypeFromOrtType } from '../onnx/dtype.js';
import { encodeModel } from '../onnx/io.js';
import type { Dim, Model, ValueInfo } from '../onnx/ir.js';
import { createSession } from './session.js';

export interface InferredValue {
  /** undefined for types onnxruntime-node has no name for (bfloat16, float8). */
  readonly elemType: DataType | undefined;
  /** Symbolic dims keep their names; unknown dims are null. ORT reports an unknown rank as [] (scalar). */
  readonly shape: readonly Dim[];
}

export type ShapeMap = ReadonlyMap<string, InferredValue>;

/** Infers the type and shape of every graph input and node output of the main graph. */
export async function inferShapes(model: Model): Promise<ShapeMap> {
  const graph = model.graph;
  const declared = new Set(graph.outputs.map((v) => v.name));
  const extra: ValueInfo[] = [];
  for (const node of graph.nodes) {
    for (const o of node.outputs) if (o !== '' && !declared.has(o)) extra.push({ name: o });
  }
  // Inputs are echoed through their own names: a graph output may name a graph input directly.
  for (const v of graph.inputs)
    if (!declared.has(v.name) && !graph.initializers.has(v.name)) extra.push({ name: v.name });
  const probe: Model = { ...model, graph: { ...graph, outputs: [...graph.outputs, ...extra] } };
  const session = await createSession(encodeModel(probe), {
    optimizationLevel: 'disabled',
    source: 'shape inference',
  });
  try {
    const shapes = new Map<string, InferredValue>();
    for (const meta of session.outputMetadata) {
      if (!meta.isTensor) continue;
      shapes.set(meta.name, {
        elemType: dataTypeFromOrtType(meta.type),
        shape: meta.shape.map((d) => (typeof d === 'number' ? d : d === '' ? null : d)),
      });
    }
    for (const [name, t] of graph.initializers) {
      shapes.set(name, { elemType: t.dataType, shape: [...t.dims] });
    }
    return shapes;
  } finally {
    await session.release();
  }
}
