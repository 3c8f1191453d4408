/**
 * export-and-compress on folders from other tools: Optimum's root layout is accepted, a bare .onnx takes its
 * config.json and tokenizer from flags, and a causal LM is compressed but reported as "task not served"
 * (tlc.json says text-generation, never fill-mask).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { modelFolderTlc } from '../../src/model-folder/read.js';
import {
  BERT_CONFIG,
  GPT_CONFIG,
  TORCH_BERT,
  TORCH_BERT_PARAMETERS,
  TORCH_GPT,
  writeBertTokenizer,
  writeForeignFolder,
} from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-foreign-compress-'));
after(() => rmSync(root, { recursive: true, force: true }));
const options = { recipes: [parseRecipe('int8')], threads: 1, batch: 2, sequence: 16, latencySeconds: 0 };

describe('compressing foreign models', () => {
  it("accepts Optimum's layout with model.onnx at the root, config.json read", async () => {
    const source = writeForeignFolder(join(root, 'bert'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const out = join(root, 'bert-out');
    const report = await compress(source, out, options);
    assert.equal(report.task, 'fill-mask');
    assert.equal(report.notServed, undefined);
    assert.deepEqual(
      report.variants.map((v) => v.name),
      ['fp32', 'int8'],
    );
    assert.ok(report.variants[1]!.drift.meanCosine > 0.99);
    // Timed interleaved with fp32 at the end: the reference's ratio is one, the variant's has its spread.
    const [fp32, int8] = report.variants;
    assert.deepEqual(fp32!.latency!.speedup, { median: 1, q25: 1, q75: 1 });
    assert.equal(int8!.latency!.runs, fp32!.latency!.runs);
    assert.ok(int8!.latency!.speedup.q25 <= int8!.latency!.speedup.q75);
    // … on the served path (the fill-mask probe of `tlc bench`), at the drift shape.
    assert.deepEqual(report.timing, { what: 'served', batch: 2, sequence: 16 });
    const tlc = modelFolderTlc(out);
    assert.deepEqual(
      tlc.variants.map((v) => [v.name, v.latency?.batch, v.latency?.sequence, v.latency?.threads]),
      [
        ['fp32', 2, 16, 1],
        ['int8', 2, 16, 1],
      ],
    );
    assert.equal(tlc.architecture.maxLength, 128);
    assert.equal(tlc.parameters.total, TORCH_BERT_PARAMETERS);
    // Each entry counts its weights and the non-zero ones (the fp32 export has no exact zeros to speak of).
    assert.equal(tlc.variants[0]!.parameters, fp32!.parameters);
    assert.ok(fp32!.nonZero > 0.99 * fp32!.parameters && fp32!.nonZero <= fp32!.parameters);
    assert.equal(tlc.variants[1]!.nonZero, int8!.nonZero);
    assert.ok(existsSync(join(out, 'tokenizer.json')));
  });

  it('takes a bare .onnx with --config and --tokenizer', async () => {
    const side = join(root, 'side');
    mkdirSync(side);
    writeFileSync(join(side, 'config.json'), JSON.stringify(BERT_CONFIG));
    writeBertTokenizer(side);
    const out = join(root, 'bare-out');
    const report = await compress(TORCH_BERT, out, {
      ...options,
      latency: false,
      config: join(side, 'config.json'),
      tokenizer: join(side, 'tokenizer.json'),
    });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'])
      assert.ok(existsSync(join(out, f)), f);
    const tlc = JSON.parse(readFileSync(join(out, 'tlc.json'), 'utf8'));
    assert.equal(tlc.task, 'fill-mask');
    assert.equal(tlc.architecture.family, 'bert');
    assert.ok(report.variants.every((v) => v.latency === undefined));
    assert.equal(report.timing, undefined);
    assert.ok(tlc.variants.every((v: { latency?: unknown }) => v.latency === undefined));
  });

  it('compresses a causal LM but reports it as not served', async () => {
    const source = writeForeignFolder(join(root, 'gpt'), TORCH_GPT, { config: GPT_CONFIG });
    const out = join(root, 'gpt-out');
    const report = await compress(source, out, options);
    assert.equal(report.task, 'text-generation');
    assert.match(report.notServed!, /task not served.*GPT2LMHeadModel/);
    // No served path to time: the exported graph is, and the report says so.
    assert.equal(report.timing?.what, 'graph');
    assert.ok(report.variants.every((v) => (v.latency?.p50 ?? 0) > 0));
    assert.equal(modelFolderTlc(out).task, 'text-generation');
    await assert.rejects(
      compress(source, join(root, 'gpt-eval'), { ...options, evalData: join(root, 'any.txt') }),
      /TASK_NOT_SERVED|cannot be scored/,
    );
  });

  it('says why a folder is not a model', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await assert.rejects(compress(empty, join(root, 'empty-out'), options), /no \.onnx graph/);
  });
});

describe('interrupted compression', () => {
  it('leaves no servable-looking folder; the next run removes the stale staging folder', async () => {
    const out = join(root, 'killed-out');
    // A bare .onnx is served only with its tokenizer (compress/servable.ts refuses it otherwise).
    const side = join(root, 'killed-side');
    mkdirSync(side);
    writeBertTokenizer(side);
    const tokenizer = join(side, 'tokenizer.json');
    const args = ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src/cli/export-and-compress.ts')];
    const child = spawn(process.execPath, [
      ...args,
      TORCH_BERT,
      '--out',
      out,
      '--recipe',
      'int8',
      'q4',
      '--latency-seconds',
      '30',
      '--threads',
      '1',
      '--tokenizer',
      tokenizer,
    ]);
    const staged = () => readdirSync(root).filter((e) => e.startsWith('.killed-out.'));
    // Kill it once it is writing (its staging folder exists), long before the 30 s of timing end.
    for (let i = 0; i < 200 && staged().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    assert.equal(existsSync(out), false, 'no half-written --out');
    assert.equal(staged().length, 1, 'the killed run left its staging folder');
    await compress(TORCH_BERT, out, { ...options, tokenizer });
    assert.deepEqual(staged(), []);
    assert.ok(existsSync(join(out, 'tlc.json')));
  });
});
