/**
 * Inputs for validation, calibration and latency runs of models TLC did not write: the standard inputs of
 * Hugging Face exports by their meaning (ort/standard-inputs.ts: `token_type_ids` zeros, `position_ids`
 * 0..n-1), other integer `*ids*` inputs random token ids below the vocabulary size, `*mask*` inputs ones,
 * float inputs standard normal values; symbolic dims take the batch size for the first axis and the sequence
 * length for the others.
 */
import type { OrtFeeds, OrtSession } from '../../ort/session.js';
import { ortTensor } from '../../ort/session.js';
import { standardInput, standardTensor } from '../../ort/standard-inputs.js';
import { Rng } from '../../util/rng.js';

export interface SampleOptions {
  readonly batch: number;
  readonly sequence: number;
  /** Token ids are drawn from [firstId, vocabSize). */
  readonly vocabSize: number;
  readonly firstId?: number;
  readonly seed?: number;
}

export function sampleFeeds(session: OrtSession, o: SampleOptions): OrtFeeds {
  const rng = Rng.seeded(o.seed ?? 1);
  const feeds: OrtFeeds = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const standard = standardInput(meta, o.batch, o.sequence);
    if (standard !== undefined) {
      feeds[meta.name] = standardTensor(standard);
      continue;
    }
    const dims = meta.shape.map((d, i) =>
      typeof d === 'number' && d > 0 ? d : i === 0 ? o.batch : o.sequence,
    );
    const n = dims.reduce((a, d) => a * d, 1);
    const name = meta.name.toLowerCase();
    if (meta.type === 'int64' || meta.type === 'int32') {
      const values = Array.from({ length: n }, () =>
        name.includes('mask') ? 1 : (o.firstId ?? 0) + rng.int(o.vocabSize - (o.firstId ?? 0)),
      );
      feeds[meta.name] =
        meta.type === 'int64'
          ? ortTensor('int64', BigInt64Array.from(values, BigInt), dims)
          : ortTensor('int32', Int32Array.from(values), dims);
    } else if (meta.type === 'bool') {
      feeds[meta.name] = ortTensor('bool', new Uint8Array(n).fill(1), dims);
    } else {
      feeds[meta.name] = ortTensor(
        'float32',
        Float32Array.from({ length: n }, () => rng.normal()),
        dims,
      );
    }
  }
  return feeds;
}
