/**
 * Every compression recipe on an ALiBi encoder: the per-head slope constants stay floating point (the
 * quantizers touch only MatMul / Gemm / Gather weights), magnitude pruning leaves them alone, structured
 * pruning keeps the kept heads' slopes, and the compressed model still agrees with the fp32 one through ORT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe } from '../../src/compress/apply-recipe.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { makeConfig } from '../../src/models/config.js';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { ALIBI_SLOPES_SUFFIX, alibiSlopes } from '../../src/models/positions.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { Model, Tensor } from '../../src/onnx/ir.js';
import { tensorToFloat32 } from '../../src/onnx/tensor-values.js';
import { Rng } from '../../src/util/rng.js';
import { runModel } from '../helpers/ort.js';
import { floatData, logitAgreement, tokenFeeds } from './quantize/helpers.js';

const config = makeConfig({
  vocabSize: 512,
  dModel: 64,
  layers: 2,
  heads: 4,
  ffn: 256,
  maxLength: 32,
  dropout: 0,
  attentionDropout: 0,
  positions: 'alibi',
});
const { model } = buildMlmEncoder(config, { rng: Rng.seeded(21), head: 'logits', dropout: false });

function slopes(m: Model): Tensor[] {
  return [...m.graph.initializers.values()].filter((t) => t.name.endsWith(ALIBI_SLOPES_SUFFIX));
}

describe('compression recipes on an ALiBi encoder', () => {
  const expected = alibiSlopes(4).map((s) => -s);
  for (const [text, minCosine] of [
    ['int8', 0.99],
    ['q4', 0.97],
    ['fp16', 0.9999],
    ['prune:0.5+int8', 0.9],
    ['heads:0.5+ffn:0.5+int8', 0.5],
  ] as const) {
    it(`${text}: slopes stay floating point${text.startsWith('heads') ? ' and follow the kept heads' : ''}`, async () => {
      const { model: out } = applyRecipe(model, parseRecipe(text));
      const found = slopes(out);
      assert.equal(found.length, 2, 'one slope constant per layer');
      for (const t of found) {
        assert.ok(
          t.dataType === DataType.FLOAT || (text === 'fp16' && t.dataType === DataType.FLOAT16),
          `${t.name} is ${t.dataType}`,
        );
        const values = Array.from(tensorToFloat32(t));
        if (text.startsWith('heads')) {
          assert.deepEqual(t.dims, [2, 1, 1]);
          for (const v of values)
            assert.ok(
              expected.some((e) => Math.abs(e - v) < 1e-7),
              `${v} is a slope`,
            );
        } else {
          assert.deepEqual(t.dims, [4, 1, 1]);
          for (const [i, v] of values.entries()) assert.ok(Math.abs(v - expected[i]!) < 1e-3);
        }
      }
      // Every Mul that applies a slope still reads the (float) distances, not a quantized value.
      for (const node of out.graph.nodes.filter((n) => n.name.endsWith('/alibi')))
        assert.equal(node.opType, 'Mul');
      const feeds = tokenFeeds(Rng.seeded(22), 2, 24, 512);
      const agreement = logitAgreement(
        floatData(await runModel(model, feeds), 'logits'),
        floatData(await runModel(out, feeds), 'logits'),
        512,
      );
      assert.ok(agreement.cosine > minCosine, `cosine ${agreement.cosine}`);
    });
  }
});
