/** The encoder step of translation: token-id sources padded into one batch and run through encoder_model once. */
import { TlcError } from '../../errors/index.js';
import { type OrtSession, ortTensor, runSession } from '../../ort/session.js';
import { withStandardInputs } from '../../ort/standard-inputs.js';
import type { EncodedSources } from './decoder-cache.js';

/** Pads `sources` with `pad` to the longest (at least one position) and runs the encoder on the batch. */
export async function encodeSources(
  encoder: OrtSession,
  sources: readonly Int32Array[],
  pad: number,
): Promise<EncodedSources> {
  const n = sources.length;
  const length = Math.max(1, ...sources.map((s) => s.length));
  const ids = new BigInt64Array(n * length).fill(BigInt(pad));
  const mask = new BigInt64Array(n * length);
  sources.forEach((source, k) => {
    source.forEach((v, j) => {
      ids[k * length + j] = BigInt(v);
      mask[k * length + j] = 1n;
    });
  });
  const output = encoder.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : encoder.outputNames[0];
  if (output === undefined || !encoder.inputNames.includes('input_ids'))
    throw new TlcError('MODEL_INVALID', 'the translation encoder needs an input_ids input and an output');
  // An encoder export that declares token_type_ids or position_ids gets them filled as HF fills them.
  const feeds = withStandardInputs(encoder, {
    input_ids: ortTensor('int64', ids, [n, length]),
    ...(encoder.inputNames.includes('attention_mask') && {
      attention_mask: ortTensor('int64', mask, [n, length]),
    }),
  });
  const out = await runSession(encoder, feeds, [output]);
  return { hidden: out[output]!, mask, length };
}
