/** PyTorch-exported models (test/fixtures/torch): load → save → load keeps the graph and ORT's outputs. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/io.js';
import { assertClose, assertSameOutputs, i64, runModel, runModelFile } from '../helpers/ort.js';

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  logits_shape: number[];
  logits_first_token_first8: number[];
  argmax: number[][];
  logits_sum: number;
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'torch');
const dir = mkdtempSync(join(tmpdir(), 'tlc-fixtures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function feedsOf(e: Expected) {
  const dims = [e.input_ids.length, e.input_ids[0]!.length];
  return { input_ids: i64(e.input_ids.flat(), dims), attention_mask: i64(e.attention_mask.flat(), dims) };
}

function checkAgainstPyTorch(logits: Float32Array, dims: readonly number[], e: Expected): void {
  assert.deepEqual([...dims], e.logits_shape);
  assertClose(logits.subarray(0, 8), e.logits_first_token_first8, 1e-4, 'first logits');
  const vocab = e.logits_shape[2]!;
  const argmax = e.argmax.flat();
  for (let p = 0; p < argmax.length; p++) {
    const row = logits.subarray(p * vocab, (p + 1) * vocab);
    let best = 0;
    for (let j = 1; j < vocab; j++) if (row[j]! > row[best]!) best = j;
    assert.equal(best, argmax[p], `argmax at position ${p}`);
  }
  let sum = 0;
  for (const v of logits) sum += v;
  // The sum of 32,000 float32 logits carries accumulated rounding; compare it relatively.
  assert.ok(Math.abs(sum - e.logits_sum) <= 1e-4 * Math.abs(e.logits_sum), `sum ${sum} vs ${e.logits_sum}`);
}

for (const name of ['torch_bert_mlm_tiny', 'torch_gpt_causal_tiny']) {
  describe(`fixture ${name}`, () => {
    const file = join(FIXTURES, `${name}.onnx`);
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;

    it('loads with its interface, opset and initializers', () => {
      const model = loadModel(file);
      assert.equal(model.producerName, 'pytorch');
      assert.equal(model.opsetImports.get(''), 14);
      assert.deepEqual(
        model.graph.inputs.map((v) => v.name),
        ['input_ids', 'attention_mask'],
      );
      assert.deepEqual(
        model.graph.outputs.map((v) => v.name),
        ['logits'],
      );
      assert.ok(model.graph.initializers.size > 10);
      assert.ok(model.graph.nodes.some((n) => n.opType === 'Constant'));
    });

    it("runs in ONNX Runtime with PyTorch's outputs (1e-4)", async () => {
      const out = await runModelFile(file, feedsOf(expected));
      checkAgainstPyTorch(out.logits!.data as Float32Array, out.logits!.dims, expected);
    });

    it('load → save → load gives the same graph and the same outputs', async () => {
      const original = loadModel(file);
      const saved = join(dir, `${name}.onnx`);
      saveModel(original, saved);
      const reloaded = loadModel(saved);
      assert.deepStrictEqual(reloaded, original);
      const a = await runModelFile(file, feedsOf(expected));
      const b = await runModelFile(saved, feedsOf(expected));
      assertSameOutputs(b, a, 0);
      checkAgainstPyTorch(b.logits!.data as Float32Array, b.logits!.dims, expected);
    });

    it('survives a round trip through bytes and through external data', async () => {
      const original = loadModel(file);
      assert.deepStrictEqual(decodeModel(encodeModel(original)), original);
      const path = join(dir, `${name}.external.onnx`);
      const result = saveModel(original, path, { externalData: true });
      assert.ok(result.externalData !== undefined && result.externalData.tensors > 0);
      assert.ok(result.bytes < 100_000, `graph-only file is small (${result.bytes} bytes)`);
      assert.deepStrictEqual(loadModel(path), original);
      const out = await runModel(loadModel(path), feedsOf(expected));
      checkAgainstPyTorch(out.logits!.data as Float32Array, out.logits!.dims, expected);
    });
  });
}
