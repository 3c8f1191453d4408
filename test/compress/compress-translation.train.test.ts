/**
 * export-and-compress of a translation run with --eval-data: BLEU and chrF per variant (the fp32 figures equal
 * the training-time evaluator's on the same pairs), a BLEU budget, tlc.json metrics and the printed table.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderReport } from '../../src/cli/commands/compress-options.js';
import { type CompressReport, compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { TlcModelJson } from '../../src/model-folder/tlc-json.js';
import type { Tensor } from '../../src/onnx/ir.js';
import { locateCheckpoint } from '../../src/run-folder/locate.js';
import { modelConfig, readRunConfig } from '../../src/run-folder/run-config.js';
import { evaluateTranslationQuality } from '../../src/tasks/translation/evaluate.js';
import { encodeWithMerges } from '../../src/tokenizer/encode.js';
import { specialIdsOf } from '../../src/tokenizer/special-ids.js';
import { readTokenizerModel } from '../../src/tokenizer/tokenizer-files.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import {
  syntheticPairs,
  type TinyTranslation,
  trainTinyTranslation,
  writeTsv,
} from '../helpers/translation.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-compress-translation-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let tiny: TinyTranslation;
let report: CompressReport;
const heldOut = syntheticPairs(9, 250);
const evalData = join(dir, 'held-out.tsv');
const out = join(dir, 'compressed');

before(async () => {
  tiny = await trainTinyTranslation(dir);
  writeTsv(evalData, heldOut);
  report = await compress(tiny.run, out, {
    recipes: ['int8', 'prune:0.9'].map(parseRecipe),
    evalData,
    maxAccuracyDrop: 5,
    batch: 2,
    sequence: 128, // above the model's 32 positions: sample inputs must still fit past + new tokens
    threads: 1,
  });
});

describe('compress a translation run with --eval-data', () => {
  it('scores fp32 and int8 with BLEU and chrF; int8 stays within a few points', (t) => {
    const [fp32, int8] = report.variants;
    t.diagnostic(
      report.variants
        .map((v) => `${v.name}: BLEU ${v.bleu?.toFixed(2)}, chrF ${v.chrf?.toFixed(2)}`)
        .join('; '),
    );
    assert.equal(report.task, 'translation');
    assert.ok(fp32!.bleu! > 50 && fp32!.chrf! > 70, `a trained model translates: ${JSON.stringify(fp32)}`);
    assert.ok(Math.abs(int8!.bleu! - fp32!.bleu!) < 5, `int8 BLEU ${int8!.bleu} vs ${fp32!.bleu}`);
    assert.ok(Math.abs(int8!.chrf! - fp32!.chrf!) < 5, `int8 chrF ${int8!.chrf} vs ${fp32!.chrf}`);
    assert.ok(int8!.kept && fp32!.accuracy === undefined && int8!.accuracy === undefined);
  });

  it('gives fp32 the BLEU and chrF of the training-time (cache-free) evaluator on the first 200 pairs', async () => {
    const run = readRunConfig(tiny.run);
    const tokenizer = await readTokenizerModel(join(tiny.run, 'tokenizer.json'));
    const special = specialIdsOf(tokenizer);
    const config = modelConfig(run, tokenizer.tokens.length);
    const weights = new Map<string, Tensor['data']>(
      [...readCheckpoint(locateCheckpoint(tiny.run).checkpoint).tensors].map(([name, t]) => [name, t.data]),
    );
    const pairs = heldOut.slice(0, 200);
    const sources = pairs.map((p) =>
      Int32Array.from([...encodeWithMerges(tokenizer, p.source).slice(0, config.maxLength - 1), special.eos]),
    );
    const reference = await evaluateTranslationQuality(pairs, sources, {
      config,
      weights,
      tokenizer,
      special,
      threads: 1,
    });
    const fp32 = report.variants[0]!;
    assert.ok(Math.abs(fp32.bleu! - reference.bleu) < 1e-9, `BLEU ${fp32.bleu} vs ${reference.bleu}`);
    assert.ok(Math.abs(fp32.chrf! - reference.chrf) < 1e-9, `chrF ${fp32.chrf} vs ${reference.chrf}`);
  });

  it('drops a variant that loses more BLEU points than allowed', () => {
    const pruned = report.variants[2]!;
    assert.ok(pruned.bleu! < report.variants[0]!.bleu! - 5, `pruned BLEU ${pruned.bleu}`);
    assert.ok(
      !pruned.kept && /^BLEU fell \d+\.\d\d points \(limit 5\)$/.test(pruned.reason ?? ''),
      pruned.reason,
    );
    assert.ok(
      !existsSync(join(out, 'onnx', 'decoder_model_pruned90.onnx')),
      'a dropped variant leaves no file',
    );
  });

  it('writes bleu and chrf into tlc.json metrics and shows them in the table', () => {
    const tlc = JSON.parse(readFileSync(join(out, 'tlc.json'), 'utf8')) as TlcModelJson;
    assert.deepEqual(
      tlc.variants.map((v) => v.name),
      ['fp32', 'int8'],
    );
    for (const [i, v] of tlc.variants.entries())
      assert.deepEqual(v.metrics, { bleu: report.variants[i]!.bleu, chrf: report.variants[i]!.chrf });
    assert.deepEqual(tlc.variants[1]!.files, [
      'onnx/encoder_model_int8.onnx',
      'onnx/decoder_model_int8.onnx',
      'onnx/decoder_with_past_model_int8.onnx',
    ]);
    const table = renderReport(report);
    const lines = table.split('\n');
    assert.match(lines[1]!, /^CPU: .+ \((x64|arm64|\w+): .*; int8 \w[\w-]*\)$/, 'the report names its CPU');
    const header = lines[2]!;
    assert.ok(/\bBLEU\b/.test(header) && /\bchrF\b/.test(header) && !/accuracy/.test(header), header);
    const fp32Row = table.split('\n').find((l) => l.startsWith('fp32'))!;
    assert.ok(fp32Row.includes(report.variants[0]!.bleu!.toFixed(2)), fp32Row);
    assert.ok(fp32Row.includes(report.variants[0]!.chrf!.toFixed(2)), fp32Row);
  });
});
