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
}

export interface TranslateResult {
  readonly outputs: readonly Int32Array[];
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
      },
    );
    return { outputs };
  },

  transferables: (result) => wholeBuffers(result.outputs),
};
