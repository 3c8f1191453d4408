/**
 * Fill-mask in the session worker: the model is served with its head on the masked rows and softmax top-k in
 * the graph (fill-mask-graph.ts), so full-vocabulary logits never leave ONNX Runtime.
 */
import { encodeModel, loadModel } from '../../onnx/io.js';
import { type OrtSession, ortTensor, runSession } from '../../ort/session.js';
import { encoderFeeds } from '../encoder-inputs.js';
import type { WorkerSpec } from '../spec.js';
import { wholeBuffers } from '../transfer.js';
import { FILL_MASK_INPUTS, FILL_MASK_OUTPUTS, fillMaskServingGraph } from './fill-mask-graph.js';

export interface FillMaskRequest {
  /** [B, S] token ids and attention mask of the padded batch. */
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly dims: readonly [number, number];
  /** Row indices b·S + s of the masked positions. */
  readonly rows: BigInt64Array;
  readonly topK: number;
}

export interface FillMaskResult {
  /** [M, k] probabilities and token ids. */
  readonly scores: Float32Array;
  readonly ids: BigInt64Array;
  readonly k: number;
}

export const fillMaskWorker: WorkerSpec<FillMaskRequest, FillMaskResult> = {
  prepare: (index, file) => (index === 0 ? encodeModel(fillMaskServingGraph(loadModel(file))) : file),

  async run(sessions: readonly OrtSession[], request: FillMaskRequest): Promise<FillMaskResult> {
    const [b, s] = request.dims;
    const session = sessions[0]!;
    const out = await runSession(
      session,
      encoderFeeds(session, request.ids, request.mask, [b, s], {
        [FILL_MASK_INPUTS.rows]: ortTensor('int64', request.rows, [request.rows.length]),
        [FILL_MASK_INPUTS.topK]: ortTensor('int64', BigInt64Array.of(BigInt(request.topK)), [1]),
      }),
    );
    const scores = out[FILL_MASK_OUTPUTS.scores]!;
    return {
      scores: scores.data as Float32Array,
      ids: out[FILL_MASK_OUTPUTS.ids]!.data as BigInt64Array,
      k: scores.dims[1] ?? 0,
    };
  },

  transferables: (result) => wholeBuffers([result.scores, result.ids]),
};
