/** The cached decoder graphs give the same logits as recomputing the whole prefix, one token at a time. */
import { describe, it } from 'node:test';
import { makeConfig } from '../../src/models/config.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { buildCachedDecoder } from '../../src/models/seq2seq-cached.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose, i64, runModel } from '../helpers/ort.js';
import { perturbedSeq2Seq } from '../helpers/seq2seq-weights.js';

for (const [preLayerNorm, positions] of [
  [false, 'learned'],
  [true, 'learned'],
  [false, 'alibi'],
  [true, 'alibi'],
] as const) {
  describe(`cached decoder (${preLayerNorm ? 'pre' : 'post'}-LN, ${positions} positions)`, () => {
    it('matches full recomputation at every step', async () => {
      const config = makeConfig({
        vocabSize: 50,
        dModel: 16,
        layers: 2,
        heads: 2,
        ffn: 32,
        maxLength: 16,
        dropout: 0,
        attentionDropout: 0,
        preLayerNorm,
        positions,
      });
      const { reference: full, bake } = perturbedSeq2Seq(config);
      const encoder = bake(
        buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'encoder', dropout: false }).model,
      );
      const first = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: false }).model);
      const next = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: true }).model);

      const source = [5, 9, 14, 2, 1];
      const mask = [1, 1, 1, 1, 0];
      const target = [0, 7, 31, 12, 3];
      const feeds = { input_ids: i64(source, [1, 5]), attention_mask: i64(mask, [1, 5]) };
      const hidden = (await runModel(encoder, feeds)).encoder_hidden_states!;
      // Step 0: the decoder without past, on the first token; it also returns the cross-attention cache.
      let out = await runModel(first, {
        input_ids: i64(target.slice(0, 1), [1, 1]),
        encoder_attention_mask: feeds.attention_mask,
        encoder_hidden_states: hidden,
      });
      const encoderCache = out;
      for (let t = 1; t <= target.length; t++) {
        const reference = await runModel(full, {
          ...feeds,
          decoder_input_ids: i64(target.slice(0, t), [1, t]),
        });
        const v = config.vocabSize;
        const last = (reference.logits!.data as Float32Array).subarray((t - 1) * v, t * v);
        assertClose(out.logits!.data as Float32Array, last, 2e-4, `logits at step ${t}`);
        if (t === target.length) break;
        const past: Record<string, (typeof out)[string]> = {};
        for (let i = 0; i < config.layers; i++) {
          for (const kind of ['key', 'value']) {
            past[`past_key_values.${i}.decoder.${kind}`] = out[`present.${i}.decoder.${kind}`]!;
            past[`past_key_values.${i}.encoder.${kind}`] = encoderCache[`present.${i}.encoder.${kind}`]!;
          }
        }
        out = await runModel(next, {
          input_ids: i64([target[t]!], [1, 1]),
          encoder_attention_mask: feeds.attention_mask,
          ...past,
        });
      }
    });
  });
}
