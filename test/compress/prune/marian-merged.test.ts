/**
 * Structured pruning of Optimum's merged decoder (one If on use_cache_branch, weights in the main graph read by
 * both branches), built from the PyTorch Marian fixture: every attention and FFN block of both branches is
 * pruned, both branches drop the same units (the cached branch's cross-attention, which has no k/v projection,
 * follows the first-step branch), weights pruned alike are stored once in the main graph, the past inputs and
 * present outputs are declared with the new head count, and greedy decoding in ONNX Runtime equals that of the
 * split layout pruned the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { structuredPrune } from '../../../src/compress/prune/index.js';
import { sharedStructuredScores } from '../../../src/compress/prune/structured/shared-choice.js';
import type { Graph, Model } from '../../../src/onnx/index.js';
import { tensorsEqual } from '../../../src/onnx/tensor.js';
import { greedyMerged, mergeMarianDecoders } from '../../helpers/marian-merged.js';
import { greedyMarian, loadMarian, marianExpected } from '../../helpers/marian-tiny.js';
import { assertClose } from '../../helpers/ort.js';
import { withGraph } from './helpers.js';

const AMOUNTS = { heads: 0.25, ffn: 0.5 };

function branches(graph: Graph): Graph[] {
  return Object.values(graph.nodes[0]!.attributes).flatMap((a) => (a.type === 'GRAPH' ? [a.value] : []));
}

describe("structured pruning of a merged decoder's If branches", () => {
  const e = marianExpected();
  const models = loadMarian();
  const merged = mergeMarianDecoders(models);

  it("decodes as PyTorch before pruning (the merged graph is Optimum's)", async () => {
    const r = await greedyMerged(models.encoder, merged, e, e.heads, e.greedy_tokens[0]!.length);
    assert.deepEqual(r.tokens, e.greedy_tokens);
  });

  it('prunes every block of both branches, and declares the new head count', () => {
    const r = structuredPrune(merged.graph, AMOUNTS);
    assert.deepEqual(
      r.changes.filter((c) => c.kind === 'declined'),
      [],
    );
    const applied = r.changes.filter((c) => c.kind === 'applied');
    assert.equal(applied.filter((c) => c.detail.startsWith('heads 4 → 3')).length, 8);
    assert.equal(applied.filter((c) => c.detail.startsWith('neurons 128 → 64')).length, 4);
    const headAxis = (v: { type?: Graph['inputs'][number]['type'] }) =>
      v.type?.kind === 'tensor' ? v.type.shape?.[1] : undefined;
    for (const v of r.graph.inputs.filter((x) => x.name.startsWith('past_key_values.')))
      assert.equal(headAxis(v), 3, v.name);
    for (const v of r.graph.outputs.filter((x) => x.name.startsWith('present.')))
      assert.equal(headAxis(v), 3, v.name);
  });

  it('stores the weights both branches pruned alike once, in the main graph', () => {
    const r = structuredPrune(merged.graph, AMOUNTS);
    const [a, b] = branches(r.graph) as [Graph, Graph];
    for (const t of a.initializers.values()) {
      const twin = [...b.initializers.values()].find((u) => u.dims.length === 2 && tensorsEqual(t, u));
      assert.equal(twin, undefined, `"${t.name}" is held by both branches`);
    }
    // the first-step branch alone reads the cross-attention k/v projections; everything else is outside
    assert.ok(r.graph.initializers.size > 20);
  });

  it('decodes exactly as the split layout pruned with the same choice', async () => {
    const pruned = structuredPrune(merged.graph, AMOUNTS).graph;
    const encoder = withGraph(models.encoder, structuredPrune(models.encoder.graph, AMOUNTS).graph);
    const a = await greedyMerged(encoder, withGraph(merged, pruned), e, 3, 6);
    const list: Model[] = [models.encoder, models.decoder, models.decoderWithPast];
    const files = ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx'];
    const shared = sharedStructuredScores(files, list, AMOUNTS);
    const split = list.map((m, i) =>
      withGraph(m, structuredPrune(m.graph, { ...AMOUNTS, ...(shared[i] && { scores: shared[i] }) }).graph),
    );
    const b = await greedyMarian(
      { encoder: split[0]!, decoder: split[1]!, decoderWithPast: split[2]! },
      e,
      6,
    );
    for (let s = 0; s < 6; s++) assertClose(a.stepLogits[s]!, b.stepLogits[s]!, 1e-5, `logits at step ${s}`);
    assert.deepEqual(a.tokens, b.tokens);
  });
});
