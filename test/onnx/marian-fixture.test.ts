/**
 * The PyTorch Marian-style fixture (test/fixtures/torch/marian_tiny): ONNX Runtime reproduces PyTorch's encoder
 * output, first decoder step and greedy decoding with the cache, and the files follow Optimum's names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { greedyMarian, loadMarian, marianExpected } from '../helpers/marian-tiny.js';
import { assertClose } from '../helpers/ort.js';

describe('fixture marian_tiny (PyTorch, Optimum split layout)', () => {
  const e = marianExpected();
  const models = loadMarian();

  it("has Optimum's input and output names", () => {
    const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);
    assert.deepEqual(names(models.encoder.graph.inputs), ['input_ids', 'attention_mask']);
    assert.deepEqual(names(models.encoder.graph.outputs), ['last_hidden_state']);
    const kv = (prefix: string, kinds: string[]) =>
      Array.from({ length: e.layers }, (_, i) =>
        kinds.flatMap((k) => [`${prefix}.${i}.${k}.key`, `${prefix}.${i}.${k}.value`]),
      ).flat();
    assert.deepEqual(names(models.decoder.graph.inputs), [
      'input_ids',
      'encoder_attention_mask',
      'encoder_hidden_states',
    ]);
    assert.deepEqual(names(models.decoder.graph.outputs), [
      'logits',
      ...kv('present', ['decoder', 'encoder']),
    ]);
    assert.deepEqual(names(models.decoderWithPast.graph.inputs), [
      'input_ids',
      'encoder_attention_mask',
      ...kv('past_key_values', ['decoder', 'encoder']),
    ]);
    assert.deepEqual(names(models.decoderWithPast.graph.outputs), ['logits', ...kv('present', ['decoder'])]);
  });

  it("reproduces PyTorch's encoder output, first step and greedy tokens", async () => {
    const r = await greedyMarian(models, e, e.greedy_tokens[0]!.length);
    assert.deepEqual([...r.hidden.dims], e.last_hidden_state_shape);
    const hidden = r.hidden.data as Float32Array;
    assertClose(hidden.subarray(0, 8), e.last_hidden_state_first8, 1e-4, 'last_hidden_state');
    let sum = 0;
    for (const v of hidden) sum += v;
    assert.ok(
      Math.abs(sum - e.last_hidden_state_sum) < 1e-3,
      `hidden sum ${sum} vs ${e.last_hidden_state_sum}`,
    );
    assertClose(r.firstLogits.subarray(0, 8), e.first_step_logits_first8, 1e-4, 'first step logits');
    let first = 0;
    for (const v of r.firstLogits) first += v;
    assert.ok(Math.abs(first - e.first_step_logits_sum) < 1e-3, `logit sum ${first}`);
    assert.deepEqual(r.tokens, e.greedy_tokens);
  });
});
