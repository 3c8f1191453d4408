/** Translation in the session worker: the encoder once, then the cached decoder once per generated token. */
import type { OrtSession } from '../../ort/session.js';
import type { WorkerSpec } from '../spec.js';
import { wholeBuffers } from '../transfer.js';
import { decoderSessions } from './decoder-sessions.js';
import { translateIds } from './translate.js';

export interface TranslateRequest {
  readonly sources: readonly Int32Array[];
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly decoderStart: number;
  readonly maxNewTokens: number;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  /**
   * The batcher's give-up flags (on a SharedArrayBuffer, so the main thread's writes are seen mid-run) and the
   * flag of each source: a source whose flag turns 1 stops generating at its next step.
   */
  readonly cancelled?: { readonly flags: Int32Array; readonly slots: readonly number[] };
}

export interface TranslateResult {
  readonly outputs: readonly Int32Array[];
}

function stoppedBy(c: NonNullable<TranslateRequest['cancelled']>): (source: number) => boolean {
  return (source) => Atomics.load(c.flags, c.slots[source]!) === 1;
}

export const translationWorker: WorkerSpec<TranslateRequest, TranslateResult> = {
  // The registry lists a variant's graphs as encoder, then decoder and decoder with past, or the merged
  // decoder (ServedModel.variantFiles).
  prepare: (_index, file) => file,

  async run(sessions: readonly OrtSession[], request: TranslateRequest): Promise<TranslateResult> {
    const outputs = await translateIds(
      { encoder: sessions[0]!, ...decoderSessions(sessions.slice(1)) },
      request.sources,
      {
        bos: request.bos,
        eos: request.eos,
        pad: request.pad,
        decoderStart: request.decoderStart,
        maxNewTokens: request.maxNewTokens,
        numBeams: request.numBeams,
        lengthPenalty: request.lengthPenalty,
        ...(request.cancelled && { stopped: stoppedBy(request.cancelled) }),
      },
    );
    return { outputs };
  },

  transferables: (result) => wholeBuffers(result.outputs),
};
