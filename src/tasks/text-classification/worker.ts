/** Text classification in the session worker: the classifier's logits for a padded batch. */
import { type OrtSession, runSession } from '../../ort/session.js';
import { encoderFeeds, padBatch } from '../encoder-inputs.js';
import type { WorkerSpec } from '../spec.js';
import { wholeBuffers } from '../transfer.js';

export interface ClassifyRequest {
  /** [B, S] token ids and attention mask of the padded batch. */
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly dims: readonly [number, number];
}

export interface ClassifyResult {
  /** [B, classes] logits. */
  readonly logits: Float32Array;
  readonly classes: number;
}

export const classifyWorker: WorkerSpec<ClassifyRequest, ClassifyResult> = {
  prepare: (_index, file) => file,

  async run(sessions: readonly OrtSession[], request: ClassifyRequest): Promise<ClassifyResult> {
    const [b, s] = request.dims;
    const session = sessions[0]!;
    const out = await runSession(session, encoderFeeds(session, request.ids, request.mask, [b, s]), [
      'logits',
    ]);
    const logits = out.logits!;
    return { logits: logits.data as Float32Array, classes: logits.dims[1] ?? 0 };
  },

  transferables: (result) => wholeBuffers([result.logits]),
};

/** Pads `items` into one request (pad id `pad`, mask 0 on padding). */
export function classifyRequest(items: readonly Int32Array[], pad: number): ClassifyRequest {
  return padBatch(items, pad);
}
