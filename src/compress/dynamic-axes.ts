/**
 * Batch and sequence axes. The server runs batches of any size and length, so an export whose inputs fix them
 * (`input_ids: [1, 128]`, as torch.onnx.export writes without `dynamic_axes`) cannot be served
 * (model-folder/graph-facts.ts names them); `symbolicAxes` renames them symbolic — on the inputs, the outputs' matching axes, and no intermediate
 * value_info — and `checkSymbolicAxes` runs the result at two other shapes, because a graph may also bake the
 * shape into Reshape constants, and then only a re-export helps.
 */
import { messageOf } from '../errors/index.js';
import { fixedAxes, type VariedAxis } from '../model-folder/graph-facts.js';
import type { Dim, Graph, ValueInfo } from '../onnx/ir.js';
import { applied, type PassResult } from '../onnx/passes/pass.js';
import { createSession, type OrtSession, runSession } from '../ort/session.js';
import { sampleFeeds } from './validate/sample-inputs.js';

export const SYMBOLIC_AXES_PASS = 'symbolic-axes';

/** `v` with the listed axes of its shape made symbolic. */
function renamed(v: ValueInfo, axes: readonly { axis: number; what: string }[]): ValueInfo {
  const type = v.type;
  if (type?.kind !== 'tensor' || type.shape === undefined || axes.length === 0) return v;
  const shape: Dim[] = [...type.shape];
  for (const { axis, what } of axes) if (axis < shape.length) shape[axis] = what;
  return { ...v, type: { ...type, shape } };
}

/**
 * The graph with its fixed batch and sequence axes symbolic: inputs as `fixedAxes` finds them, outputs where their
 * axis 0 holds the fixed batch and axis 1 the fixed sequence; value_info (shape hints only) dropped.
 */
export function symbolicAxes(graph: Graph): PassResult {
  const fixed = fixedAxes(graph);
  if (fixed.length === 0) return { graph, changes: [] };
  const batch = fixed.find((f) => f.what === 'batch')?.size;
  const sequence = fixed.find((f) => f.what === 'sequence')?.size;
  const inputs = graph.inputs.map((v) =>
    renamed(
      v,
      fixed.filter((f) => f.input === v.name),
    ),
  );
  const outputs = graph.outputs.map((v) => {
    const shape = v.type?.kind === 'tensor' ? v.type.shape : undefined;
    const axes: VariedAxis[] = [];
    if (shape?.[0] === batch) axes.push({ axis: 0, what: 'batch' });
    if (sequence !== undefined && shape?.[1] === sequence) axes.push({ axis: 1, what: 'sequence' });
    return renamed(v, axes);
  });
  const changes = fixed.map((f) =>
    applied(SYMBOLIC_AXES_PASS, f.input, `axis ${f.axis} (${f.what}) ${f.size} → symbolic`),
  );
  return { graph: { ...graph, inputs, outputs, valueInfo: [] }, changes };
}

/**
 * Runs the model file at two shapes unlike any fixed one; the error's text when it fails (a Reshape or Expand
 * that kept the exported shape), undefined when it runs.
 */
export async function checkSymbolicAxes(path: string, vocabSize: number): Promise<string | undefined> {
  let session: OrtSession | undefined;
  try {
    session = await createSession(path, { threads: 1 });
    for (const [batch, sequence] of [
      [2, 5],
      [3, 11],
    ] as const) {
      const out = await runSession(session, sampleFeeds(session, { batch, sequence, vocabSize, firstId: 0 }));
      const name = session.outputNames[0]!;
      const first = out[name];
      if (first !== undefined && Number(first.dims[0]) !== batch)
        return `${name} came back with batch ${first.dims[0]} for ${batch} inputs`;
    }
    return undefined;
  } catch (error) {
    return messageOf(error);
  } finally {
    await session?.release();
  }
}
