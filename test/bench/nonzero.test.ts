/**
 * countParameters: the non-zero count of a quantized weight is checked against ONNX Runtime itself — the graph
 * run on an identity matrix returns the dequantized weight, whose non-zeros are counted independently — for
 * 4- and 8-bit MatMulNBits (symmetric and with zero points, a padded last block) and int8
 * DynamicQuantizeMatMul, on a weight with a known share of exact zeros.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countParameters } from '../../src/bench/nonzero.js';
import { applyRecipe } from '../../src/compress/apply-recipe.js';
import { dynamicInt8, quantizeModel, weightOnlyNBits } from '../../src/compress/quantize/index.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { presetConfig } from '../../src/models/presets.js';
import { DataType, float32Tensor, GraphBuilder, loadModel, type Model } from '../../src/onnx/index.js';
import { Rng } from '../../src/util/rng.js';
import { TORCH_BERT } from '../helpers/foreign.js';
import { f32, runModel } from '../helpers/ort.js';

const [K, N] = [40, 24];

/** y = a · W with W [K, N], every third element exactly zero. */
function sparseLinear(): { model: Model; zeros: number } {
  const rng = Rng.seeded(5);
  let zeros = 0;
  const w = Float32Array.from({ length: K * N }, (_, i) => {
    if (i % 3 === 0) {
      zeros += 1;
      return 0;
    }
    // Magnitudes in [0.25, 1]: no survivor rounds to zero at 8 bits.
    return (0.25 + 0.75 * rng.next()) * (rng.next() < 0.5 ? -1 : 1);
  });
  const b = GraphBuilder.create();
  const a = b.input('a', DataType.FLOAT, ['m', K]);
  const y = b.op('MatMul', [a, b.initializer(float32Tensor('w', [K, N], w))], {}, { name: 'mm' });
  b.output(b.op('Identity', [y], {}, { outputs: ['y'] }), { elemType: DataType.FLOAT });
  return { model: b.toModel(), zeros };
}

/** Non-zeros of the weight as ONNX Runtime applies it: the model on the K × K identity returns W. */
async function ortNonZeros(model: Model): Promise<number> {
  const eye = Float32Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));
  const out = await runModel(model, { a: f32(Array.from(eye), [K, K]) });
  return (out.y!.data as Float32Array).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

describe('countParameters', () => {
  it('counts float weights and their exact zeros', () => {
    const { model, zeros } = sparseLinear();
    assert.deepEqual(countParameters(model), { parameters: K * N, nonZero: K * N - zeros });
  });

  it('agrees with ONNX Runtime on MatMulNBits codes (4 and 8 bits, with and without zero points)', async () => {
    for (const bits of [4, 8] as const)
      for (const symmetric of [true, false])
        for (const blockSize of [16, 32]) {
          const { model: base } = sparseLinear();
          const { model } = quantizeModel(base, weightOnlyNBits, {
            bits,
            symmetric,
            blockSize,
            accuracyLevel: 0,
          });
          assert.ok(model.graph.nodes.some((n) => n.opType === 'MatMulNBits'));
          const counted = countParameters(model);
          const label = `bits ${bits} ${symmetric ? 'sym' : 'asym'} block ${blockSize}`;
          assert.equal(counted.parameters, K * N, label);
          assert.equal(counted.nonZero, await ortNonZeros(model), label);
        }
  });

  it('agrees with ONNX Runtime on int8 DynamicQuantizeMatMul weights', async () => {
    const { model: base, zeros } = sparseLinear();
    const { model } = quantizeModel(base, dynamicInt8, {});
    assert.ok(model.graph.nodes.some((n) => n.opType === 'DynamicQuantizeMatMul'));
    const counted = countParameters(model);
    assert.equal(counted.parameters, K * N);
    assert.equal(counted.nonZero, await ortNonZeros(model));
    assert.equal(counted.nonZero, K * N - zeros, 'symmetric int8 keeps zeros zero and the rest non-zero');
  });

  it('sees 50% magnitude pruning through int8 and 4-bit quantization of a whole encoder', () => {
    const config = presetConfig('tiny', { vocabSize: 300, maxLength: 32, dropout: 0, attentionDropout: 0 });
    const model = buildMlmEncoder(config, { rng: Rng.seeded(7), head: 'logits', dropout: false }).model;
    const fp32 = countParameters(model);
    const pruned = countParameters(applyRecipe(model, parseRecipe('prune:0.5')).model);
    const prunedInt8 = countParameters(applyRecipe(model, parseRecipe('prune:0.5+int8')).model);
    assert.equal(pruned.parameters, fp32.parameters);
    // The linear layers hold most weights (biases and LayerNorm shifts start at zero); half of them are gone.
    assert.ok(
      pruned.nonZero < 0.75 * fp32.nonZero && pruned.nonZero > 0.4 * fp32.nonZero,
      `${pruned.nonZero}`,
    );
    // int8 keeps zeros zero; a handful of tiny survivors may round to zero too.
    assert.ok(prunedInt8.nonZero <= pruned.nonZero && prunedInt8.nonZero > 0.99 * pruned.nonZero);
  });
});

describe('countParameters on a PyTorch export', () => {
  it("counts a tied head's constant-folded copy once, as PyTorch counts the model", () => {
    const model = loadModel(TORCH_BERT);
    const all = [...model.graph.initializers.values()].reduce(
      (n, t) => n + t.dims.reduce((a, b) => a * b, 1),
      0,
    );
    // Every initializer (shape constants included) but the 64 × 1000 copy of tok.weight.
    assert.equal(countParameters(model).parameters, all - 64 * 1000);
  });
});
