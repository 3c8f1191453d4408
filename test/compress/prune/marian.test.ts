/**
 * Structured pruning of a PyTorch Marian/BART-style export (test/fixtures/torch/marian_tiny): transformers'
 * attention with queries scaled before the product and heads folded into the batch, the decoder's past
 * keys/values, FFN biases shared through Identity nodes. heads:0.25 removes one head of four in every block
 * (encoder self, decoder self, decoder cross) of every file, the decoder files drop the same heads, and greedy
 * decoding in ONNX Runtime matches an independent reference: the same model with the removed heads' weights
 * zeroed (a head whose output-projection rows are zero contributes exactly nothing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe, crossFileChoices } from '../../../src/compress/apply-recipe.js';
import { type StructuredPruneReport, structuredPrune } from '../../../src/compress/prune/index.js';
import { sharedStructuredScores } from '../../../src/compress/prune/structured/shared-choice.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import type { Graph, Model } from '../../../src/onnx/index.js';
import { greedyMarian, loadMarian, type MarianModels, marianExpected } from '../../helpers/marian-tiny.js';
import { assertClose } from '../../helpers/ort.js';
import { withGraph } from './helpers.js';
import { zeroRemovedHeads } from './zero-heads.js';

const FILES = ['onnx/encoder_model.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx'];
const KEYS = ['encoder', 'decoder', 'decoderWithPast'] as const;

function prunedAndReference(heads: number): {
  pruned: MarianModels;
  reference: MarianModels;
  reports: StructuredPruneReport[];
} {
  const models = loadMarian();
  const list: Model[] = KEYS.map((k) => models[k]);
  const shared = sharedStructuredScores(FILES, list, { heads });
  const results = list.map((m, i) =>
    structuredPrune(m.graph, { heads, ...(shared[i] !== undefined && { scores: shared[i] }) }),
  );
  const at = (f: (m: Model, i: number) => Model) =>
    Object.fromEntries(KEYS.map((k, i) => [k, f(list[i]!, i)])) as unknown as MarianModels;
  return {
    pruned: at((m, i) => withGraph(m, results[i]!.graph)),
    reference: at((m, i) => withGraph(m, zeroRemovedHeads(m.graph, results[i]!.report))),
    reports: results.map((r) => r.report),
  };
}

describe('structured pruning of a Marian-style PyTorch export', () => {
  const e = marianExpected();

  it('removes a quarter of the heads in every attention block of every file', () => {
    const { reports } = prunedAndReference(0.25);
    const attention = reports.map((r) => r.blocks.filter((b) => b.kind === 'attention'));
    // encoder: 2 self; decoder and decoder_with_past: 2 self + 2 cross
    assert.deepEqual(
      attention.map((a) => a.length),
      [2, 4, 4],
    );
    for (const b of attention.flat()) {
      assert.equal(b.units, 4);
      assert.equal(b.kept, 3);
    }
  });

  it('drops the same heads in decoder_model and decoder_with_past_model', () => {
    const { reports } = prunedAndReference(0.25);
    const removed = (r: StructuredPruneReport) =>
      r.blocks.filter((b) => b.kind === 'attention').map((b) => b.removed.join(','));
    assert.deepEqual(removed(reports[2]!), removed(reports[1]!));
  });

  it('decodes as the model with the removed heads zeroed, in ONNX Runtime', async () => {
    const { pruned, reference } = prunedAndReference(0.25);
    const steps = 6;
    const a = await greedyMarian(pruned, e, steps);
    const b = await greedyMarian(reference, e, steps);
    assertClose(a.hidden.data as Float32Array, b.hidden.data as Float32Array, 1e-4, 'encoder output');
    for (let s = 0; s < steps; s++)
      assertClose(a.stepLogits[s]!, b.stepLogits[s]!, 1e-4, `logits at step ${s}`);
    assert.deepEqual(a.tokens, b.tokens);
  });

  it('prunes the FFN whose biases PyTorch shared through Identity nodes', () => {
    const { decoder } = loadMarian();
    const identity = decoder.graph.nodes.filter((n) => n.opType === 'Identity');
    assert.ok(identity.length > 0, 'the fixture shares the zero fc biases through Identity');
    const r = structuredPrune(decoder.graph, { ffn: 0.5 });
    assert.deepEqual(
      r.changes.filter((c) => c.kind === 'declined'),
      [],
    );
    assert.deepEqual(
      r.report.blocks.filter((b) => b.kind === 'ffn').map((b) => [b.kind, b.kept]),
      [
        ['ffn', 64],
        ['ffn', 64],
      ],
    );
  });

  it('applies heads:0.25+ffn:0.5 through applyRecipe with the choice shared across files, and still decodes', async () => {
    const models = loadMarian();
    const list: Model[] = KEYS.map((k) => models[k]);
    const recipe = parseRecipe('heads:0.25+ffn:0.5');
    const shared = crossFileChoices(FILES, list, recipe);
    assert.deepEqual(shared[0], {});
    assert.ok(shared[2]?.structuredScores?.heads, 'decoder_with_past follows decoder_model');
    const out = list.map((m, i) => applyRecipe(m, recipe, {}, shared[i]));
    for (const r of out) assert.deepEqual(r.unchanged, []);
    const pruned = Object.fromEntries(KEYS.map((k, i) => [k, out[i]!.model])) as unknown as MarianModels;
    const r = await greedyMarian(pruned, e, 4);
    assert.equal(r.tokens.length, e.input_ids.length);
    const declared = pruned.decoderWithPast.graph.inputs.find(
      (v) => v.name === 'past_key_values.0.encoder.key',
    );
    assert.equal(declared?.type?.kind === 'tensor' ? declared.type.shape?.[1] : undefined, 3);
  });
});

describe('folded attention it declines', () => {
  it('declines when the batch × heads product is read outside the block', () => {
    const { encoder } = loadMarian();
    const g = encoder.graph;
    // the first layer's Mul(batch, 4) that the fold reshapes read
    const mul = g.nodes.find(
      (n) => n.opType === 'Mul' && n.name.startsWith('/encoder_layers.0/self_attn/Mul_'),
    )!;
    const folded = g.nodes.some((n) => n.inputs.includes(mul.outputs[0]!) && n.opType === 'Unsqueeze');
    assert.ok(folded, `${mul.name} feeds the fold shapes`);
    const leak: Graph = {
      ...g,
      nodes: [
        ...g.nodes,
        {
          name: 'leak',
          opType: 'Identity',
          domain: '',
          inputs: [mul.outputs[0]!],
          outputs: ['leak'],
          attributes: {},
        },
      ],
      outputs: [...g.outputs, { name: 'leak' }],
    };
    const r = structuredPrune(leak, { heads: 0.25 });
    const reasons = r.changes.filter((c) => c.kind === 'declined').map((c) => c.detail);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /^attention: Mul ".*" \(batch × heads\) is also read by Identity "leak"/);
  });
});
