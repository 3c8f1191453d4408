/**
 * Model sizes count external data (issue 28): a folder whose fp32 weights sit in model.onnx_data is as large as
 * its weights, so an inline int8 variant of it reports a fraction of fp32, not 7072%.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { modelFolderTlc } from '../../src/model-folder/read.js';
import { externalDataFiles, modelFilesBytes } from '../../src/onnx/file-bytes.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-file-bytes-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The BERT fixture as Optimum writes a large model: graph in model.onnx, weights in model.onnx_data. */
function externalFolder(): string {
  const dir = writeForeignFolder(join(root, 'bert-external'), TORCH_BERT, {
    config: BERT_CONFIG,
    tokenizer: 1000,
  });
  saveModel(loadModel(TORCH_BERT), join(dir, 'model.onnx'), { externalData: true });
  return dir;
}

describe('model sizes with external data', () => {
  it('count the .onnx file and each external data file once', () => {
    const dir = externalFolder();
    const graph = statSync(join(dir, 'model.onnx')).size;
    const data = statSync(join(dir, 'model.onnx_data')).size;
    assert.ok(data > 10 * graph, 'the weights are beside the graph');
    assert.deepEqual(externalDataFiles(join(dir, 'model.onnx')), ['model.onnx_data']);
    assert.equal(modelFilesBytes(dir, ['model.onnx']), graph + data);
    assert.deepEqual(externalDataFiles(TORCH_BERT), []);
  });

  it('export-and-compress sizes the fp32 model with its model.onnx_data', async () => {
    const dir = externalFolder();
    const out = join(root, 'out');
    const report = await compress(dir, out, {
      recipes: [parseRecipe('int8')],
      threads: 1,
      batch: 2,
      sequence: 16,
      latency: false,
    });
    const [fp32, int8] = report.variants;
    const onDisk = statSync(join(out, 'model.onnx')).size + statSync(join(out, 'model.onnx_data')).size;
    assert.equal(fp32!.bytes, onDisk);
    assert.ok(int8!.bytes < 0.5 * fp32!.bytes, `int8 ${int8!.bytes} of fp32 ${fp32!.bytes}`);
    assert.deepEqual(
      modelFolderTlc(out).variants.map((v) => v.bytes),
      [fp32!.bytes, int8!.bytes],
    );
  });
});
