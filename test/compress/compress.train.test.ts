/** export-and-compress end to end: variants, validation, report, accuracy budget and errors. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { TlcModelJson } from '../../src/model-folder/tlc-json.js';
import { summarize } from '../../src/onnx/inspect.js';
import { loadModel } from '../../src/onnx/io.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { writeBertTokenizer } from '../helpers/foreign.js';
import { countingText, tinyRun } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'torch', 'torch_bert_mlm_tiny.onnx');
// A bare .onnx is served with the tokenizer it is given (export-and-compress refuses one without).
const tokenizerDir = join(dir, 'tokenizer');
mkdirSync(tokenizerDir);
writeBertTokenizer(tokenizerDir);
const small = { batch: 2, sequence: 16, threads: 1, tokenizer: join(tokenizerDir, 'tokenizer.json') };

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

  it('calibrates static int8 with the chosen method', async () => {
    const reports = [];
    for (const calibration of ['minmax', 'entropy'] as const) {
      const report = await compress(FIXTURE, join(dir, `static-${calibration}`), {
        recipes: [parseRecipe('static-int8')],
        calibration,
        ...small,
      });
      reports.push(report.variants[1]!);
    }
    for (const r of reports) assert.ok(r.drift.meanCosine > 0.99, JSON.stringify(r.drift));
    const files = reports.map((r, k) =>
      readFileSync(join(dir, `static-${k === 0 ? 'minmax' : 'entropy'}`, r.files[0]!)),
    );
    // Entropy clips the activation ranges, so the scales (and the files) differ from MinMax's.
    assert.notDeepEqual(files[0], files[1]);
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
    await assert.rejects(compress(FIXTURE, join(dir, 'bert'), { recipes: [parseRecipe('int8')], ...small }), {
      code: 'EXPORT_FAILED',
      message: /--force/,
    });
  });
});

describe('compress a trained TLC run with an accuracy budget', () => {
  it('measures MLM accuracy per variant and drops those over the budget', async () => {
    const words = ['north', 'east', 'south', 'west', 'up', 'down', 'left', 'right', 'in', 'out'];
    writeFileSync(
      join(dir, 'train.txt'),
      countingText(Rng.seeded(3), words, 300, () => 30),
    );
    writeFileSync(
      join(dir, 'held-out.txt'),
      countingText(Rng.seeded(4), words, 60, () => 30, '\n'),
    );
    const run = join(dir, 'run');
    const config = tinyRun({
      evalEvery: '1000',
      evalTokens: '2048',
      evalSentences: '10',
      width: '32',
      data: [join(dir, 'train.txt')],
      maxSteps: '2000',
      out: run,
    });
    await runTraining(config, { log: () => {} });
    const out = join(dir, 'budget');
    const report = await compress(run, out, {
      recipes: [parseRecipe('int8'), parseRecipe('prune:0.95')],
      evalData: join(dir, 'held-out.txt'),
      maxAccuracyDrop: 5,
      batch: 2,
      sequence: 32,
      threads: 1,
    });
    const [fp32, int8, pruned] = report.variants;
    assert.ok(fp32!.accuracy! > 0.5, `a trained model is accurate (${fp32!.accuracy})`);
    assert.ok(Math.abs(int8!.accuracy! - fp32!.accuracy!) < 0.05 && int8!.kept);
    assert.ok(!pruned!.kept && /accuracy fell/.test(pruned!.reason ?? ''), JSON.stringify(pruned));
    // Perplexity of the masked tokens: far below the 10-word uniform guess for a model this accurate, close to
    // fp32 for int8, and higher for the model that 95% pruning wrecked.
    assert.ok(fp32!.perplexity! >= 1 && fp32!.perplexity! < 5, `fp32 perplexity ${fp32!.perplexity}`);
    assert.ok(Math.abs(int8!.perplexity! / fp32!.perplexity! - 1) < 0.1);
    assert.ok(pruned!.perplexity! > fp32!.perplexity! * 1.5, `pruned perplexity ${pruned!.perplexity}`);
    assert.ok(!existsSync(join(out, 'onnx', 'model_pruned95.onnx')), 'a dropped variant leaves no file');
    const tlc = JSON.parse(readFileSync(join(out, 'tlc.json'), 'utf8')) as TlcModelJson;
    assert.deepEqual(
      tlc.variants.map((v) => v.name),
      ['fp32', 'int8'],
    );
    assert.ok(tlc.training?.step === 2000 && tlc.variants[1]!.metrics?.accuracy !== undefined);
    assert.equal(tlc.variants[1]!.metrics?.perplexity, int8!.perplexity);
  });
});
