/** A copy task for tests: `a b c d SEP a b c d` with the second half masked; the model must copy. */
import { makeConfig, type TransformerConfig } from '../../src/models/config.js';
import { ortTensor } from '../../src/ort/session.js';
import type { Batch } from '../../src/tasks/spec.js';
import type { Rng } from '../../src/util/rng.js';

export const DIGITS = 10;
export const SEP = 10;
export const MASK = 11;
export const HALF = 4;

export function toyConfig(overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  return makeConfig({
    vocabSize: 12,
    dModel: 32,
    layers: 2,
    heads: 4,
    ffn: 64,
    maxLength: 16,
    dropout: 0,
    attentionDropout: 0,
    ...overrides,
  });
}

export function copyBatch(rng: Rng, batch: number): Batch {
  const t = 2 * HALF + 1;
  const ids = new BigInt64Array(batch * t);
  const positions = new BigInt64Array(batch * HALF);
  const labels = new BigInt64Array(batch * HALF);
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < HALF; i++) {
      const d = BigInt(rng.int(DIGITS));
      ids[s * t + i] = d;
      ids[s * t + HALF + 1 + i] = BigInt(MASK);
      positions[s * HALF + i] = BigInt(s * t + HALF + 1 + i);
      labels[s * HALF + i] = d;
    }
    ids[s * t + HALF] = BigInt(SEP);
  }
  return {
    inputs: {
      input_ids: ortTensor('int64', ids, [batch, t]),
      attention_mask: ortTensor('int64', new BigInt64Array(batch * t).fill(1n), [batch, t]),
      mlm_positions: ortTensor('int64', positions, [batch * HALF]),
      mlm_labels: ortTensor('int64', labels, [batch * HALF]),
    },
    dims: { batch, sequence: t },
    tokens: batch * t,
  };
}
