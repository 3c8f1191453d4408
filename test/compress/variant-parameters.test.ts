/**
 * The compression report and tlc.json count each variant's parameters as `tlc inspect` does (issue 28): the
 * PyTorch BERT fixture is PyTorch's 177,576 in fp32, int8, q4 and fp16 — not the scales, nor the tied head's copy
 * of the table again — and a pruned variant keeps its parameters with fewer of them non-zero.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { modelFolderTlc } from '../../src/model-folder/read.js';
import { summarize } from '../../src/onnx/inspect.js';
import { loadModel } from '../../src/onnx/io.js';
import { BERT_CONFIG, TORCH_BERT, TORCH_BERT_PARAMETERS, writeForeignFolder } from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-variant-parameters-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('variant parameters', () => {
  it('are the fp32 count in every storage, and inspect agrees', async () => {
    const source = writeForeignFolder(join(root, 'bert'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const out = join(root, 'out');
    const report = await compress(source, out, {
      recipes: ['int8', 'q4', 'fp16', 'prune:0.5'].map(parseRecipe),
      threads: 1,
      batch: 2,
      sequence: 16,
      latency: false,
    });
    const byName = new Map(report.variants.map((v) => [v.name, v]));
    for (const name of ['fp32', 'int8', 'q4', 'fp16', 'pruned50']) {
      const v = byName.get(name);
      assert.ok(v?.kept, `${name} kept`);
      assert.equal(v.parameters, TORCH_BERT_PARAMETERS, name);
      assert.equal(summarize(loadModel(join(out, v.files[0]!))).parameters, TORCH_BERT_PARAMETERS, name);
    }
    const tlc = modelFolderTlc(out);
    assert.equal(tlc.parameters.total, TORCH_BERT_PARAMETERS);
    assert.ok(tlc.variants.every((v) => v.parameters === TORCH_BERT_PARAMETERS));
    // Half of the pruned weights are zeros now; fp32's are not.
    const fp32 = byName.get('fp32')!;
    const pruned = byName.get('pruned50')!;
    assert.ok(fp32.nonZero > 0.99 * fp32.parameters);
    assert.ok(pruned.nonZero < fp32.nonZero - 0.3 * (TORCH_BERT_PARAMETERS - 1000 * 64 - 128 * 64));
  });
});
