/**
 * Structured pruning of attention as other transformers models export it (test/fixtures/torch/attention):
 * DistilBERT (queries divided by √dh after the head split, a mask expanded to the scores' shape) is pruned and
 * matches the dense model with the removed heads zeroed; T5 (a relative position bias computed once from a
 * [buckets, heads] table and reused by every layer) is declined with that reason, and a heads-only recipe on it
 * is reported as changing nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyRecipe, unchangedVariant } from '../../../src/compress/apply-recipe.js';
import { structuredPrune } from '../../../src/compress/prune/index.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import { loadModel } from '../../../src/onnx/index.js';
import { assertClose, i64, runModel } from '../../helpers/ort.js';
import { withGraph } from './helpers.js';
import { zeroRemovedHeads } from './zero-heads.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'torch', 'attention');

interface Expected {
  readonly input_ids: number[][];
  readonly attention_mask: number[][];
  readonly [model: string]: unknown;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;
const dims = [expected.input_ids.length, expected.input_ids[0]!.length];
const feeds = {
  input_ids: i64(expected.input_ids.flat(), dims),
  attention_mask: i64(expected.attention_mask.flat(), dims),
};

for (const name of ['distilbert_tiny', 't5_tiny_encoder']) {
  it(`ONNX Runtime reproduces PyTorch's ${name}`, async () => {
    const e = expected[name] as { shape: number[]; first8: number[]; sum: number };
    const out = (await runModel(loadModel(join(DIR, `${name}.onnx`)), feeds)).last_hidden_state!;
    assert.deepEqual([...out.dims], e.shape);
    const data = out.data as Float32Array;
    assertClose(data.subarray(0, 8), e.first8, 1e-4, name);
    const sum = data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - e.sum) < 1e-3 * Math.max(1, Math.abs(e.sum)), `sum ${sum} vs ${e.sum}`);
  });
}

describe('DistilBERT attention', () => {
  const model = loadModel(join(DIR, 'distilbert_tiny.onnx'));

  it('removes a quarter of the heads of both layers and matches the zeroed-heads model', async () => {
    const r = structuredPrune(model.graph, { heads: 0.25 });
    assert.deepEqual(
      r.changes.filter((c) => c.kind === 'declined'),
      [],
    );
    const blocks = r.report.blocks.filter((b) => b.kind === 'attention');
    assert.deepEqual(
      blocks.map((b) => [b.units, b.kept]),
      [
        [4, 3],
        [4, 3],
      ],
    );
    const pruned = await runModel(withGraph(model, r.graph), feeds);
    const reference = await runModel(withGraph(model, zeroRemovedHeads(model.graph, r.report)), feeds);
    assertClose(
      pruned.last_hidden_state!.data as Float32Array,
      reference.last_hidden_state!.data as Float32Array,
      1e-4,
      'last_hidden_state',
    );
  });
});

describe('T5 attention', () => {
  const model = loadModel(join(DIR, 't5_tiny_encoder.onnx'));

  it('declines the heads, naming the shared position-bias table', () => {
    const r = structuredPrune(model.graph, { heads: 0.25 });
    const declined = r.changes.filter((c) => c.kind === 'declined');
    assert.equal(declined.length, 2);
    for (const c of declined) assert.match(c.detail, /relative_attention_bias\.weight" \[32,4\].*not sliced/);
    assert.equal(r.graph, model.graph);
  });

  it('reports a heads recipe as changing nothing, and still prunes its FFN', () => {
    const heads = applyRecipe(model, parseRecipe('heads:0.25'));
    assert.match(
      unchangedVariant([heads]) ?? '',
      /^declined: heads changed nothing \(.*relative_attention_bias/,
    );
    const both = applyRecipe(model, parseRecipe('heads:0.25+ffn:0.5'));
    assert.deepEqual(
      both.unchanged.map((u) => u.step),
      ['heads'],
    );
  });
});

describe('BERT attention as transformers exports it (test/fixtures/torch/bert_classifier)', () => {
  const CLS = join(import.meta.dirname, '..', '..', 'fixtures', 'torch', 'bert_classifier');
  const model = loadModel(join(CLS, 'model.onnx'));
  const e = JSON.parse(readFileSync(join(CLS, 'expected.json'), 'utf8')) as {
    input_ids: number[][];
    attention_mask: number[][];
    token_type_ids: number[][];
  };
  const shape = [e.input_ids.length, e.input_ids[0]!.length];
  const clsFeeds = {
    input_ids: i64(e.input_ids.flat(), shape),
    attention_mask: i64(e.attention_mask.flat(), shape),
    token_type_ids: i64(e.token_type_ids.flat(), shape),
  };

  it('removes a quarter of the heads beside the Shape readers of `size()[:-1]`, matching the zeroed-heads model', async () => {
    // q, k, v and the merged context are each also read by Shape → Gather(0 | 1) (batch and sequence sizes).
    const r = structuredPrune(model.graph, { heads: 0.25 });
    assert.deepEqual(
      r.changes.filter((c) => c.kind === 'declined'),
      [],
    );
    assert.deepEqual(
      r.report.blocks.filter((b) => b.kind === 'attention').map((b) => [b.units, b.kept]),
      [
        [4, 3],
        [4, 3],
      ],
    );
    const pruned = await runModel(withGraph(model, r.graph), clsFeeds);
    const reference = await runModel(withGraph(model, zeroRemovedHeads(model.graph, r.report)), clsFeeds);
    assertClose(pruned.logits!.data as Float32Array, reference.logits!.data as Float32Array, 1e-4, 'logits');
  });
});
