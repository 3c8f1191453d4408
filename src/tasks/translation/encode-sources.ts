/** The encoder step of translation: token-id sources padded into one batch and run through encoder_model once. */
import { TlcError } from '../../errors/index.js';
import { type OrtSession, runSession } from '../../ort/session.js';
import { encoderFeeds, padBatch } from '../encoder-inputs.js';
import type { EncodedSources } from './decoder-cache.js';

/** Pads `sources` with `pad` to the longest (at least one position) and runs the encoder on the batch. */
export async function encodeSources(
  encoder: OrtSession,
  sources: readonly Int32Array[],
  pad: number,
): Promise<EncodedSources> {
  const { ids, mask, dims } = padBatch(sources, pad);
  const length = dims[1];
  const output = encoder.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : encoder.outputNames[0];
  if (output === undefined || !encoder.inputNames.includes('input_ids'))
    throw new TlcError('MODEL_INVALID', 'the translation encoder needs an input_ids input and an output');
  const out = await runSession(encoder, encoderFeeds(encoder, ids, mask, dims), [output]);
  return { hidden: out[output]!, mask, length };
}
