/** export-and-compress end to end: variants, validation, report, accuracy budget and errors. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { TlcModelJson } from '../../src/models/export/tlc-json.js';
import { summarize } from '../../src/onnx/inspect.js';
import { loadModel } from '../../src/onnx/io.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'torch', 'torch_bert_mlm_tiny.onnx');
const small = { batch: 2, sequence: 16, threads: 1 };

describe('compress', () => {
  it('turns a foreign .onnx into a model folder with validated variants and a report', async () => {
    const out = join(dir, 'bert');
    const report = await compress(FIXTURE, out, {
      recipes: ['int8', 'prune:0.5+int8', 'q4'].map(parseRecipe),
      ...small,
    });
    assert.deepEqual(
      report.variants.map((v) => v.name),
      ['fp32', 'int8', 'pruned50_int8', 'q4'],
    );
    const int8 = report.variants[1]!;
    assert.ok(int8.drift.meanCosine >= 0.999 && int8.drift.top1Agreement >= 0.9, JSON.stringify(int8.drift));
    assert.ok(int8.bytes < 0.35 * report.variants[0]!.bytes);
    assert.ok(int8.applied > 0);
    assert.ok(
      summarize(loadModel(join(out, 'onnx', 'model_int8.onnx'))).ops[
        'com.microsoft::DynamicQuantizeMatMul'
      ]! > 0,
    );
    const pruned = report.variants[2]!;
    assert.ok(Math.abs(pruned.sparsity - 0.5) < 0.01, `sparsity ${pruned.sparsity}`);
    assert.ok(pruned.bytes < int8.bytes, 'pruned weights are stored compactly');
    assert.ok(
      summarize(loadModel(join(out, 'onnx', 'model_q4.onnx'))).ops['com.microsoft::MatMulNBits']! > 0,
    );
    const tlc = JSON.parse(readFileSync(join(out, 'tlc.json'), 'utf8')) as TlcModelJson;
    assert.deepEqual(
      tlc.variants.map((v) => v.files[0]),
      ['onnx/model.onnx', 'onnx/model_int8.onnx', 'onnx/model_pruned50_int8.onnx', 'onnx/model_q4.onnx'],
    );
    assert.ok(tlc.variants.every((v) => (v.latency?.p50_ms ?? 0) > 0));
    const saved = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { variants: unknown[] };
    assert.equal(saved.variants.length, 4);
  });

  it('explains bad sources and refuses to overwrite', async () => {
    await assert.rejects(
      compress(join(dir, 'missing.onnx'), join(dir, 'o1'), { recipes: [parseRecipe('int8')] }),
      {
        code: 'ONNX_READ_FAILED',
        message: /missing\.onnx/,
      },
    );
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    await assert.rejects(compress(junk, join(dir, 'o2'), { recipes: [parseRecipe('int8')] }), {
      code: /ONNX_(DECODE_FAILED|INVALID_MODEL)/,
    });
    assert.ok(!existsSync(join(dir, 'o2', 'onnx', 'model_int8.onnx')));
    await assert.rejects(compress(FIXTURE, join(dir, 'bert'), { recipes: [parseRecipe('int8')] }), {
      code: 'EXPORT_FAILED',
      message: /--force/,
    });
  });
});
