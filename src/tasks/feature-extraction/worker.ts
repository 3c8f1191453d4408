/**
 * Feature extraction in the session worker: the graph's `sentence_embedding`, or its `last_hidden_state` pooled
 * here (pooling.ts) — never on the server's main thread.
 */
import { TlcError } from '../../errors/index.js';
import { type OrtSession, runSession } from '../../ort/session.js';
import { encoderFeeds, padBatch } from '../encoder-inputs.js';
import type { WorkerSpec } from '../spec.js';
import { wholeBuffers } from '../transfer.js';
import { type Pooling, pool } from './pooling.js';

export interface EmbedRequest {
  /** [B, S] token ids and attention mask of the padded batch. */
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly dims: readonly [number, number];
  /** How to pool `last_hidden_state`; unused when the graph outputs `sentence_embedding`. */
  readonly pooling?: Pooling;
}

export interface EmbedResult {
  /** [B, width] sentence embeddings. */
  readonly embeddings: Float32Array;
  readonly width: number;
}

export const SENTENCE_OUTPUT = 'sentence_embedding';
export const TOKEN_OUTPUT = 'last_hidden_state';

export async function embedBatch(session: OrtSession, request: EmbedRequest): Promise<EmbedResult> {
  const [b, s] = request.dims;
  const feeds = encoderFeeds(session, request.ids, request.mask, [b, s]);
  if (session.outputNames.includes(SENTENCE_OUTPUT)) {
    const out = (await runSession(session, feeds, [SENTENCE_OUTPUT]))[SENTENCE_OUTPUT]!;
    return { embeddings: out.data as Float32Array, width: Number(out.dims[1]) };
  }
  if (request.pooling === undefined)
    throw new TlcError(
      'MODEL_INVALID',
      `the graph outputs ${TOKEN_OUTPUT} (token states), not ${SENTENCE_OUTPUT}, and the folder names no pooling: add sentence-transformers' modules.json and 1_Pooling/config.json (for mean pooling, "pooling_mode_mean_tokens": true), or compress it with export-and-compress --pooling mean (or cls, max, mean_sqrt_len), which writes them`,
    );
  const hidden = (await runSession(session, feeds, [TOKEN_OUTPUT]))[TOKEN_OUTPUT]!;
  const d = Number(hidden.dims[2]);
  const embeddings = pool(hidden.data as Float32Array, request.mask, [b, s, d], request.pooling);
  return { embeddings, width: d * request.pooling.modes.length };
}

export const embedWorker: WorkerSpec<EmbedRequest, EmbedResult> = {
  prepare: (_index, file) => file,
  run: (sessions, request) => embedBatch(sessions[0]!, request),
  transferables: (result) => wholeBuffers([result.embeddings]),
};

/** Pads `items` into one request (pad id `pad`, mask 0 on padding). */
export function embedRequest(
  items: readonly Int32Array[],
  pad: number,
  pooling: Pooling | undefined,
): EmbedRequest {
  return { ...padBatch(items, pad), ...(pooling !== undefined && { pooling }) };
}
