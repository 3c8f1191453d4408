/**
 * The sequence classifier (src/models/classifier.ts): every parameter's gradient of the classification loss matches
 * central differences (float64), the logits of a row depend on that row only and not on its padding, and the
 * encoder's parameters carry the MLM encoder's names (so a pretrained MLM checkpoint initialises them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSequenceClassifier } from '../../src/models/classifier.js';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { createSession, runSession } from '../../src/ort/session.js';
import { Rng } from '../../src/util/rng.js';
import { assertGradientsMatch, gradCheckConfig } from '../helpers/model-gradients.js';
import { i64 } from '../helpers/ort.js';

const config = (dtype: 'float32' | 'float64') =>
  gradCheckConfig({ vocabSize: 23, activation: 'gelu_tanh', dtype });

describe('sequence classifier', () => {
  it('names its encoder parameters as the MLM encoder does, and adds RoBERTa’s head', () => {
    const cls = buildSequenceClassifier(config('float32'), {
      rng: Rng.seeded(1),
      labels: 3,
      head: 'logits',
      dropout: false,
    });
    const mlm = buildMlmEncoder(config('float32'), { rng: Rng.seeded(1), head: 'logits', dropout: false });
    const encoder = (names: string[]) =>
      names.filter((n) => !n.startsWith('head.') && !n.startsWith('classifier.'));
    assert.deepEqual(encoder(cls.params.map((p) => p.name)), encoder(mlm.params.map((p) => p.name)));
    assert.deepEqual(
      cls.params.filter((p) => p.name.startsWith('classifier.')).map((p) => p.name),
      [
        'classifier.dense.weight',
        'classifier.dense.bias',
        'classifier.out_proj.weight',
        'classifier.out_proj.bias',
      ],
    );
  });

  it('gives [batch, labels] logits that depend on each row alone, not on its padding', async () => {
    const built = buildSequenceClassifier(config('float32'), {
      rng: Rng.seeded(2),
      labels: 3,
      head: 'logits',
      dropout: false,
    });
    const session = await createSession(encodeModel(built.model));
    try {
      const run = async (ids: number[], mask: number[], dims: number[]) =>
        (await runSession(session, { input_ids: i64(ids, dims), attention_mask: i64(mask, dims) })).logits!;
      const both = await run(
        [3, 5, 7, 1, 2, 9, 4, 4, 8, 1, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [2, 6],
      );
      assert.deepEqual([...both.dims], [2, 3]);
      // Row 1 is [4, 4, 8, 1] and two pads: alone, unpadded, it must score the same.
      const second = await run([4, 4, 8, 1], [1, 1, 1, 1], [1, 4]);
      const a = both.data as Float32Array;
      const s = second.data as Float32Array;
      for (let j = 0; j < 3; j++)
        assert.ok(Math.abs(a[3 + j]! - s[j]!) < 1e-5, `padded row ${a[3 + j]} vs alone ${s[j]}`);
    } finally {
      await session.release();
    }
  });

  it('gradient of every parameter matches central differences on sampled entries (float64)', async () => {
    const built = buildSequenceClassifier(config('float64'), {
      rng: Rng.seeded(11),
      labels: 3,
      head: 'loss',
      dropout: false,
    });
    const rng = Rng.seeded(5);
    // Larger-than-init weights so that every path carries a visible gradient.
    const start = (t: { data: unknown; dims: readonly number[] }) =>
      Float64Array.from(
        t.data as Float64Array,
        (x) => x * 10 + (t.dims.length === 1 ? rng.normal() * 0.3 : 0),
      );
    const data = {
      input_ids: i64([3, 5, 7, 1, 2, 9, 4, 4, 8, 22, 0, 6], [2, 6]),
      attention_mask: i64([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 6]),
      labels: i64([2, 0], [2]),
    };
    const checked = await assertGradientsMatch(built, data, { start, eps: 1e-6, limit: 1e-6 });
    assert.ok(checked >= built.params.length * 2);
  });
});
