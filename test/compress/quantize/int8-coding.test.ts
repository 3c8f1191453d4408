/**
 * The arithmetic proof that TLC's default int8 weights cannot saturate the int16 pair sums of x86's u8×s8
 * multiply-add (VPMADDUBSW, used by ONNX Runtime on AVX2 and AVX-512 without VNNI), on any machine: for every
 * int8 weight an integer GEMM reads, every K-pair's worst case over all u8 activations is computed exactly.
 * A VNNI machine (which never saturates) catches here what only an AVX2 machine would show at run time.
 * Also: the pair-bounded coding's codes, scales and error bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe } from '../../../src/compress/apply-recipe.js';
import { saturationWarning } from '../../../src/compress/fidelity.js';
import { calibrate } from '../../../src/compress/quantize/calibrate.js';
import { quantizeChannels } from '../../../src/compress/quantize/channel.js';
import { dynamicInt8, quantizeModel, staticQdq } from '../../../src/compress/quantize/index.js';
import {
  codingLimits,
  type Int8WeightCoding,
  PAIR_CODE_LIMIT,
  pairSaturation,
} from '../../../src/compress/quantize/int8-coding.js';
import { gemmInt8Weights, modelSaturation } from '../../../src/compress/quantize/saturation.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import { makeConfig } from '../../../src/models/config.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import type { Model } from '../../../src/onnx/index.js';
import { Rng } from '../../../src/util/rng.js';
import { linearModel, loadFixture, randomMatrix, tokenFeeds } from './helpers.js';

/** Fails, naming the weights, when any GEMM weight of the model can saturate. */
function assertCannotSaturate(model: Model, what: string): void {
  const s = modelSaturation(model.graph);
  assert.ok(s.weights > 0, `${what}: no int8 GEMM weight found`);
  assert.equal(
    s.saturatingPairs,
    0,
    `${what}: ${s.saturatingPairs} of ${s.pairs} K-pairs can saturate (worst ${s.worstPositive} / ${s.worstNegative}) in ${s.saturatingWeights.join(', ')}`,
  );
  assert.ok(s.worstPositive <= 32767 && s.worstNegative >= -32768);
}

function tlcEncoder(): Model {
  const config = makeConfig({ vocabSize: 500, dModel: 64, layers: 2, heads: 4, maxLength: 32 });
  return buildMlmEncoder(config, { rng: Rng.seeded(7), head: 'logits', dropout: false }).model;
}

describe('pairSaturation: the worst case over all u8 activations', () => {
  it('is 255 × the same-signed code sum of each K-pair (2j, 2j+1), padding an odd K with zero', () => {
    // [K=3, N=2]: column 0 pairs (127, 1) and (127, pad); column 1 pairs (−100, −29) and (5, pad).
    const codes = Int8Array.from([127, -100, 1, -29, 127, 5]);
    const s = pairSaturation(codes, 3, 2);
    assert.equal(s.pairs, 4);
    assert.equal(s.worstPositive, 255 * 128);
    assert.equal(s.worstNegative, -255 * 129);
    assert.equal(s.saturatingPairs, 1, 'only (−100, −29) leaves int16: −32895 < −32768');
  });

  it('a mixed-sign pair cannot saturate however large its codes', () => {
    const s = pairSaturation(Int8Array.from([127, -127]), 2, 1);
    assert.equal(s.saturatingPairs, 0);
    assert.equal(s.worstPositive, 255 * 127);
  });

  it('reads a tied head through its Transpose, as the kernel sees it ([D, V] from the [V, D] table)', () => {
    const { model } = quantizeModel(tlcEncoder(), dynamicInt8, {});
    const head = gemmInt8Weights(model.graph).find((w) => w.n === 500);
    assert.ok(head, 'the tied projection is found');
    assert.equal(head.k, 64);
  });
});

describe('default int8 weights cannot saturate (and a full-range weight is caught)', () => {
  it('a deliberately full-range weight fails the check; the default coding of the same weight passes', () => {
    const model = linearModel(Rng.seeded(1), 64, 32);
    const full = quantizeModel(model, dynamicInt8, { weights: 'full' }).model;
    assert.throws(() => assertCannotSaturate(full, 'full'), /K-pairs can saturate/);
    assertCannotSaturate(quantizeModel(model, dynamicInt8, {}).model, 'default');
    assertCannotSaturate(quantizeModel(model, dynamicInt8, { weights: '7-bit' }).model, '7-bit');
  });

  it('export-and-compress warns about a variant whose weights can saturate, and only then', () => {
    const model = linearModel(Rng.seeded(1), 64, 32);
    const full = quantizeModel(model, dynamicInt8, { weights: 'full' }).model;
    assert.match(saturationWarning('m_int8.onnx', full) ?? '', /can saturate on x86 CPUs without VNNI/);
    assert.equal(saturationWarning('m_int8.onnx', quantizeModel(model, dynamicInt8, {}).model), undefined);
  });

  it('dynamic int8 of the BERT and GPT fixtures and of TLC’s encoder with its tied head', () => {
    for (const [name, model] of [
      ['bert', loadFixture('bert')],
      ['gpt', loadFixture('gpt')],
      ['tlc encoder', tlcEncoder()],
    ] as const) {
      assertCannotSaturate(quantizeModel(model, dynamicInt8, {}).model, name);
      const full = modelSaturation(quantizeModel(model, dynamicInt8, { weights: 'full' }).model.graph);
      assert.ok(
        full.saturatingPairs > 0,
        `${name}: the full coding saturates somewhere (else this test proves nothing)`,
      );
    }
  });

  it('pruned int8 (weights stored as values + bitmask) is checked as ONNX Runtime folds it', () => {
    const recipe = parseRecipe('prune:0.5+int8');
    const sound = applyRecipe(tlcEncoder(), recipe).model;
    const s = modelSaturation(sound.graph);
    assert.ok(s.weights >= 9, `${s.weights} GEMM weights found`);
    assertCannotSaturate(sound, 'prune:0.5+int8');
    const full = applyRecipe(tlcEncoder(), recipe, { int8Weights: 'full' }).model;
    assert.ok(modelSaturation(full.graph).saturatingPairs > 0);
  });

  it('static int8 (QDQ) of the BERT fixture', async () => {
    const model = loadFixture('bert');
    const feeds = [1, 2].map((seed) => tokenFeeds(Rng.seeded(seed), 2, 16));
    const ranges = await calibrate(model, feeds);
    assertCannotSaturate(quantizeModel(model, staticQdq, { ranges }).model, 'static int8');
  });
});

describe('quantizeChannels, pair-bounded', () => {
  const codings: Int8WeightCoding[] = ['pair-bounded', '7-bit', 'full'];

  it('keeps every same-signed K-pair within 128 and each code within ±127, on random and adversarial weights', () => {
    const rng = Rng.seeded(3);
    const k = 33;
    const n = 16;
    const random = randomMatrix(rng, k, n);
    // Adversarial: each column's two largest weights are K-neighbours of one sign; rounding pushes pairs up.
    const adversarial = Float32Array.from({ length: k * n }, (_, i) => {
      const r = Math.floor(i / n);
      return r < 2 ? 1 : r % 2 === 0 ? 0.5039 : 0.4961;
    });
    for (const values of [random, adversarial]) {
      const q = quantizeChannels(values, k, n, 'columns', codingLimits('pair-bounded'));
      const s = pairSaturation(q.data, k, n);
      assert.equal(s.saturatingPairs, 0);
      assert.ok(s.worstPositive <= 255 * PAIR_CODE_LIMIT);
      assert.ok(q.data.every((v) => Math.abs(v) <= 127));
    }
  });

  it('per row (a table read transposed): pairs run along the row', () => {
    const values = Float32Array.from([1, 1, 0.1, 0.1, 0.2, -0.9, 0.3, 0.3]); // [2, 4]
    const q = quantizeChannels(values, 2, 4, 'rows', codingLimits('pair-bounded'));
    assert.deepEqual([...q.data.slice(0, 2)], [64, 64], 'the pair (1, 1) shares 128 codes');
    assert.equal(q.scales[0], Math.fround(2 / 128));
    assert.equal(q.data[5], -127, 'a mixed-sign pair keeps the full 8-bit step');
  });

  it('its step lies between full 8-bit and 7-bit, and it rounds to nearest except where a pair was bounded', () => {
    const rng = Rng.seeded(4);
    const k = 256;
    const n = 64;
    const values = randomMatrix(rng, k, n);
    const q = Object.fromEntries(
      codings.map((c) => [c, quantizeChannels(values, k, n, 'columns', codingLimits(c))]),
    );
    let adjusted = 0;
    for (let c = 0; c < n; c++) {
      const s = q['pair-bounded']!.scales[c]!;
      assert.ok(s >= q.full!.scales[c]! * (1 - 1e-6) && s <= q['7-bit']!.scales[c]! * (1 + 1e-6));
      for (let r = 0; r < k; r++) {
        const err = Math.abs(q['pair-bounded']!.data[r * n + c]! * s - values[r * n + c]!);
        if (err > s / 2 + 1e-7) adjusted++;
        assert.ok(err <= 1.5 * s + 1e-7, 'one step back at most');
      }
    }
    assert.ok(adjusted < (k * n) / 100, `${adjusted} codes moved off nearest`);
    const meanStep = (coding: Int8WeightCoding) => q[coding]!.scales.reduce((a, b) => a + b, 0) / n;
    const bits = Math.log2(meanStep('7-bit') / meanStep('pair-bounded'));
    assert.ok(bits > 0.2, `pair-bounded gains ${bits.toFixed(2)} bits over 7-bit on Gaussian weights`);
  });
});
