/** A 2-layer Transformer encoder with MLM loss: every parameter's gradient matches finite differences. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import type { OrtFeeds } from '../../src/ort/session.js';
import { Rng } from '../../src/util/rng.js';
import { assertGradientsMatch, gradCheckConfig } from '../helpers/model-gradients.js';
import { i64 } from '../helpers/ort.js';

for (const variant of [
  { dtype: 'float64', activation: 'gelu_tanh', preLayerNorm: false, eps: 1e-6, limit: 1e-6, gain: 10 },
  { dtype: 'float64', activation: 'relu', preLayerNorm: true, eps: 1e-6, limit: 1e-6, gain: 10 },
  {
    dtype: 'float64',
    activation: 'gelu_tanh',
    preLayerNorm: true,
    positions: 'alibi',
    eps: 1e-6,
    limit: 1e-6,
    gain: 10,
  },
  {
    dtype: 'float64',
    activation: 'gelu_tanh',
    preLayerNorm: false,
    positions: 'alibi',
    eps: 1e-6,
    limit: 1e-6,
    gain: 10,
  },
  // float32 (com.microsoft Gelu has no double kernel): a smaller step on a smoother function.
  { dtype: 'float32', activation: 'gelu', preLayerNorm: false, eps: 2e-3, limit: 1e-2, gain: 3 },
] as const) {
  const positions = 'positions' in variant ? variant.positions : 'learned';
  describe(`2-layer encoder, MLM loss (${variant.dtype}, ${variant.activation}, ${variant.preLayerNorm ? 'pre' : 'post'}-LN, ${positions} positions)`, () => {
    it('gradient of every parameter matches central differences on sampled entries', async () => {
      const config = gradCheckConfig({
        vocabSize: 23,
        activation: variant.activation,
        preLayerNorm: variant.preLayerNorm,
        positions,
        dtype: variant.dtype,
      });
      const built = buildMlmEncoder(config, { rng: Rng.seeded(11), head: 'loss', dropout: false });
      // Larger-than-init weights so that every path carries a visible gradient.
      const rng = Rng.seeded(5);
      const data: OrtFeeds = {
        input_ids: i64([3, 5, 7, 1, 2, 9, 4, 4, 8, 22, 0, 6], [2, 6]),
        attention_mask: i64([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 6]),
        mlm_positions: i64([1, 4, 7, 8], [4]),
        mlm_labels: i64([5, 11, 20, 3], [4]),
      };
      const checked = await assertGradientsMatch(built, data, {
        start: (t) =>
          Float64Array.from(
            t.data as Float64Array,
            (x) => x * variant.gain + (t.dims.length === 1 ? rng.normal() * 0.3 : 0),
          ),
        dtype: variant.dtype,
        eps: variant.eps,
        limit: variant.limit,
        mustMove: (p) => p !== 'head.bias' || variant.dtype !== 'float32',
      });
      assert.ok(checked >= built.params.length * 2);
    });
  });
}

for (const positions of ['learned', 'alibi'] as const)
  describe(`2-layer encoder-decoder, label-smoothed loss (float64, gelu_tanh, ${positions} positions)`, () => {
    it('gradient of every parameter matches central differences on sampled entries', async () => {
      const config = gradCheckConfig({
        positions,
        vocabSize: 17,
        activation: 'gelu_tanh',
        dtype: 'float64',
      });
      const built = buildSeq2Seq(config, {
        rng: Rng.seeded(3),
        head: 'loss',
        dropout: false,
        labelSmoothing: 0.1,
      });
      const data: OrtFeeds = {
        input_ids: i64([3, 5, 7, 1, 2, 9, 4, 0], [2, 4]),
        attention_mask: i64([1, 1, 1, 1, 1, 1, 0, 0], [2, 4]),
        decoder_input_ids: i64([0, 6, 8, 0, 11, 12], [2, 3]),
        decoder_attention_mask: i64([1, 1, 1, 1, 1, 0], [2, 3]),
        target_positions: i64([0, 1, 2, 3, 4], [5]),
        target_labels: i64([6, 8, 2, 11, -100], [5]),
      };
      // 2e-9: the central difference's own rounding (loss ≈ 3, 2⁻⁵² / 1e-6, amplified through the graph), which
      // shows on the cross-attention queries whose gradients are ~1e-4 with ALiBi.
      await assertGradientsMatch(built, data, {
        start: (t) => Float64Array.from(t.data as Float64Array, (x) => x * 10),
        eps: 1e-6,
        limit: 1e-6,
        absolute: 2e-9,
        samples: (n) => [n - 1],
      });
    });
  });
