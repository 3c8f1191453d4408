/** Text classification in the session worker: the classifier's logits for a padded batch. */
import { type OrtSession, runSession } from '../../ort/session.js';
import { encoderFeeds } from '../encoder-inputs.js';
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
  const b = items.length;
  const s = Math.max(...items.map((i) => i.length));
  const ids = new BigInt64Array(b * s).fill(BigInt(pad));
  const mask = new BigInt64Array(b * s);
  items.forEach((item, k) => {
    item.forEach((v, j) => {
      ids[k * s + j] = BigInt(v);
      mask[k * s + j] = 1n;
    });
  });
  return { ids, mask, dims: [b, s] };
}
