/**
 * A graph that came with the source but is no variant (transformers.js's onnx/model_quantized.onnx) is named in
 * report.json and the printed report as not served (issue 28), not silently copied along.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderReport } from '../../src/cli/commands/compress-options.js';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-unlisted-'));
after(() => rmSync(root, { recursive: true, force: true }));
const options = { recipes: [parseRecipe('int8')], threads: 1, batch: 2, sequence: 16, latency: false };

describe('graphs no variant lists', () => {
  it("names transformers.js's model_quantized.onnx as not served", async () => {
    const source = writeForeignFolder(join(root, 'tjs'), TORCH_BERT, {
      place: 'onnx',
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    copyFileSync(TORCH_BERT, join(source, 'onnx', 'model_quantized.onnx'));
    const out = join(root, 'tjs-out');
    const report = await compress(source, out, options);
    assert.deepEqual(report.unlistedGraphs, ['onnx/model_quantized.onnx']);
    const stored = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(stored.unlistedGraphs, ['onnx/model_quantized.onnx']);
    assert.match(
      renderReport(report),
      /note: onnx\/model_quantized\.onnx came with the source and is not a variant: .*will not serve it/,
    );
  });

  it('says nothing when every graph is a variant', async () => {
    const source = writeForeignFolder(join(root, 'plain'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const report = await compress(source, join(root, 'plain-out'), options);
    assert.equal(report.unlistedGraphs, undefined);
    assert.doesNotMatch(renderReport(report), /not a variant/);
  });
});
