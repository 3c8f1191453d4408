import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyRecipe } from '../../src/compress/apply-recipe.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { presetConfig } from '../../src/models/presets.js';
import { encodeModel, loadModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { fillMaskServingGraph } from '../../src/tasks/fill-mask/fill-mask-graph.js';
import { findPositionwiseHead } from '../../src/tasks/fill-mask/positionwise-head.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'torch');
const BATCH = 3;
const SEQ = 9;
const TOP_K = 5;

function tinyEncoder(): Model {
  const config = presetConfig('tiny', { vocabSize: 300, maxLength: 32, dropout: 0, attentionDropout: 0 });
  return buildMlmEncoder(config, { rng: Rng.seeded(7), head: 'logits', dropout: false }).model;
}

function feedsFor(vocab: number) {
  const rng = Rng.seeded(3);
  const ids = BigInt64Array.from({ length: BATCH * SEQ }, () =>
    BigInt(5 + Math.floor(rng.next() * (vocab - 5))),
  );
  // Row 2 is padded after 6 tokens, as in a dynamic batch.
  const mask = BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => (i >= 2 * SEQ + 6 ? 0n : 1n));
  return {
    input_ids: ortTensor('int64', ids, [BATCH, SEQ]),
    attention_mask: ortTensor('int64', mask, [BATCH, SEQ]),
  };
}

/** Softmax over the full logits at the given rows, computed in JavaScript from ORT's logits. */
async function reference(model: Model, rows: number[], vocab: number): Promise<Float64Array[]> {
  const session = await createSession(encodeModel(model));
  const out = await runSession(session, feedsFor(vocab));
  const logits = out.logits!.data as Float32Array;
  return rows.map((row) => {
    const x = logits.subarray(row * vocab, (row + 1) * vocab);
    const max = Math.max(...x);
    const exps = Float64Array.from(x, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  });
}

async function served(model: Model, rows: number[], vocab: number, hoistHead: boolean) {
  const session = await createSession(encodeModel(fillMaskServingGraph(model, 'logits', { hoistHead })));
  const out = await runSession(session, {
    ...feedsFor(vocab),
    mask_rows: ortTensor('int64', BigInt64Array.from(rows, BigInt), [rows.length]),
    top_k: ortTensor('int64', BigInt64Array.of(BigInt(TOP_K)), [1]),
  });
  const scores = out.scores!.data as Float32Array;
  const ids = out.token_ids!.data as BigInt64Array;
  return rows.map((_, r) =>
    Array.from({ length: TOP_K }, (_, j) => ({ p: scores[r * TOP_K + j]!, id: Number(ids[r * TOP_K + j]!) })),
  );
}

/**
 * The served top-k against the full-logits softmax: each candidate's probability matches the reference's for that
 * token, and no token outside the served top-k is more probable than the k-th candidate (ties within tolerance may
 * swap places, which a quantized head's noise does in a random model's flat distribution).
 */
async function assertMatchesReference(model: Model, vocab: number, tolerance: number): Promise<void> {
  const rows = [0, 4, SEQ + 8, 2 * SEQ + 5];
  const want = await reference(model, rows, vocab);
  for (const hoist of [true, false]) {
    const got = await served(model, rows, vocab, hoist);
    for (const [r, probs] of want.entries()) {
      const label = `row ${rows[r]} (hoist ${hoist})`;
      const candidates = got[r]!;
      for (const c of candidates) {
        assert.ok(
          Math.abs(c.p - probs[c.id]!) < tolerance,
          `${label}: token ${c.id} ${c.p} vs ${probs[c.id]}`,
        );
      }
      const kth = candidates[TOP_K - 1]!.p;
      const chosen = new Set(candidates.map((c) => c.id));
      const better = [...probs.keys()].filter((id) => !chosen.has(id) && probs[id]! > kth + tolerance);
      assert.deepEqual(better, [], label);
    }
  }
}

describe('fill-mask serving graph', () => {
  it('moves the gather in front of TLC’s MLM head: dense, activation, norm and vocabulary projection', () => {
    const model = tinyEncoder();
    const head = findPositionwiseHead(model.graph, 'logits');
    assert.ok(head !== undefined);
    assert.deepEqual(
      head.nodes.map((n) => n.opType),
      ['MatMul', 'Add', 'Gelu', 'LayerNormalization', 'Gemm', 'Reshape'],
    );
    const rewritten = fillMaskServingGraph(model).graph;
    const gather = rewritten.nodes.find((n) => n.opType === 'Gather' && n.inputs[1] === 'mask_rows');
    assert.ok(gather !== undefined);
    const readers = rewritten.nodes.filter((n) => n.inputs.includes(gather.outputs[0]!));
    assert.deepEqual(
      readers.map((n) => n.opType),
      ['MatMul'],
    );
    assert.ok(!rewritten.nodes.some((n) => n.outputs.includes('logits')));
  });

  it('gives the full-logits top-k (ORT reference) for TLC’s encoder, with and without moving the head', async () => {
    await assertMatchesReference(tinyEncoder(), 300, 1e-5);
  });

  for (const recipe of ['int8', 'q4', 'heads:0.5+ffn:0.5+int8', 'fp16']) {
    it(`gives the full-logits top-k for the ${recipe} variant, whose head is moved too`, async () => {
      const { model } = applyRecipe(tinyEncoder(), parseRecipe(recipe));
      const head = findPositionwiseHead(model.graph, 'logits');
      assert.ok(
        head !== undefined && head.nodes.length >= 4,
        `${recipe}: ${head?.nodes.map((n) => n.opType)}`,
      );
      // Dynamic int8 quantizes activations with one scale per tensor, so the head's rows quantize a little
      // differently once gathered: the tolerance is the int8 noise of a flat (random-weight) distribution.
      await assertMatchesReference(model, 300, recipe === 'fp16' ? 1e-5 : 1e-4);
    });
  }

  it('moves the last layers of a PyTorch export’s head (decomposed LayerNorm) and keeps its answers', async () => {
    const model = loadModel(join(FIXTURES, 'torch_bert_mlm_tiny.onnx'));
    const head = findPositionwiseHead(model.graph, 'logits');
    assert.ok(head !== undefined);
    // The decomposed LayerNorm's Div reads two activations, so the walk stops there: γ, β and the projection move.
    assert.deepEqual(
      head.nodes.map((n) => n.opType),
      ['Mul', 'Add', 'MatMul', 'Add'],
    );
    await assertMatchesReference(model, 1000, 1e-5);
  });

  it('declines when a head value is also read elsewhere, and still answers correctly', async () => {
    const base = tinyEncoder();
    const gelu = base.graph.nodes.find((n) => n.opType === 'Gelu' && n.name === 'Gelu')!;
    const extra = { ...base.graph.outputs[0]!, name: gelu.outputs[0]! };
    const model: Model = { ...base, graph: { ...base.graph, outputs: [...base.graph.outputs, extra] } };
    const head = findPositionwiseHead(model.graph, 'logits');
    // Only the part after the shared value moves: norm and projection.
    assert.deepEqual(
      head?.nodes.map((n) => n.opType),
      ['LayerNormalization', 'Gemm', 'Reshape'],
    );
    assert.equal(head?.cut, gelu.outputs[0]);
    await assertMatchesReference(model, 300, 1e-5);
  });
});
