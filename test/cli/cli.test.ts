/** The `tlc` and `export-and-compress` commands, run as users run them (a child process). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadModel } from '../../src/onnx/io.js';
import { TORCH_BERT_PARAMETERS, writeBertTokenizer } from '../helpers/foreign.js';
import { assertSameOutputs, i64, runModelFile } from '../helpers/ort.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'torch', 'torch_bert_mlm_tiny.onnx');
const dir = mkdtempSync(join(tmpdir(), 'tlc-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(bin: 'tlc' | 'export-and-compress', ...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'cli', `${bin}.ts`), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tlc CLI', () => {
  it('prints usage with --help', () => {
    const r = cli('tlc', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: tlc/);
    assert.match(r.stdout, /inspect/);
    assert.match(r.stdout, /convert/);
    const e = cli('export-and-compress', '--help');
    assert.equal(e.status, 0);
    assert.match(e.stdout, /Usage: export-and-compress/);
  });

  it('inspect --json reports the interface, opsets, ops and parameters', () => {
    const r = cli('tlc', 'inspect', FIXTURE, '--json');
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      opsets: Record<string, number>;
      inputs: { name: string; type: string; shape: unknown[] }[];
      outputs: { name: string; shape: unknown[] }[];
      ops: Record<string, number>;
      parameters: number;
      tiedCopies: unknown[];
      byType: Record<string, { tensors: number; elements: number; bytes: number }>;
    };
    const model = loadModel(FIXTURE);
    assert.deepEqual(summary.opsets, { 'ai.onnx': 14 });
    assert.deepEqual(summary.inputs[0], { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] });
    assert.deepEqual(summary.outputs[0], {
      name: 'logits',
      type: 'float',
      shape: ['batch', 'sequence', 1000],
    });
    assert.equal(summary.ops.MatMul, model.graph.nodes.filter((n) => n.opType === 'MatMul').length);
    const elements = [...model.graph.initializers.values()].reduce(
      (s, t) => s + t.dims.reduce((a, b) => a * b, 1),
      0,
    );
    // Counted as PyTorch counts them (onnx/parameters.ts): the transposed copy of the tied embedding that the
    // exporter folded into the head once, the LayerNorm scales PyTorch stored once and renamed each.
    assert.equal(summary.parameters, TORCH_BERT_PARAMETERS);
    assert.deepEqual(summary.tiedCopies, [
      { copy: 'onnx::MatMul_342', of: 'tok.weight', transposed: true, elements: 64000 },
    ]);
    assert.equal(summary.byType.float?.bytes, elements * 4);
  });

  it('inspect prints a readable summary', () => {
    const r = cli('tlc', 'inspect', FIXTURE);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /input\s+input_ids\s+int64\s+\[batch, sequence\]/);
    assert.match(r.stdout, /parameters/);
    assert.match(r.stdout, /onnx::MatMul_342: 64,000 values that repeat tok\.weight transposed/);
  });

  it('convert --external-data --cleanup writes a model ONNX Runtime runs with the same outputs', async () => {
    const out = join(dir, 'bert.onnx');
    const r = cli('tlc', 'convert', FIXTURE, out, '--external-data', '--cleanup');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /cleanup: \d+ change/);
    assert.match(r.stdout, /ONNX Runtime loads the result/);
    assert.ok(existsSync(`${out}_data`));
    const feeds = { input_ids: i64([5, 6, 7, 8], [1, 4]), attention_mask: i64([1, 1, 1, 0], [1, 4]) };
    assertSameOutputs(await runModelFile(out, feeds), await runModelFile(FIXTURE, feeds), 1e-5);
  });

  it('reports a corrupted model with an error code and the file name, not a stack trace', () => {
    const bad = join(dir, 'corrupt.onnx');
    const bytes = readFileSync(FIXTURE);
    writeFileSync(bad, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const r = cli('tlc', 'inspect', bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error\[ONNX_DECODE_FAILED\]: .*corrupt\.onnx: not a valid ONNX model/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n');
    const t = cli('tlc', 'inspect', text);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /error\[ONNX_(DECODE_FAILED|INVALID_MODEL)\]: .*notes\.onnx/);
  });

  it('reports missing files and bad flags as usage problems', () => {
    const missing = cli('tlc', 'inspect', join(dir, 'nope.onnx'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /error\[ONNX_READ_FAILED\]: .*nope\.onnx: cannot read the model file/);
    copyFileSync(FIXTURE, join(dir, 'in.onnx'));
    const bad = cli('tlc', 'convert', join(dir, 'in.onnx'), join(dir, 'o.onnx'), '--threshold', 'lots');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /error\[CLI_USAGE\]: --threshold must be a byte count/);
    const unknown = cli('tlc', 'frobnicate');
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('export-and-compress writes an int8 variant and prints the report table', () => {
    const out = join(dir, 'compressed');
    // A bare .onnx is refused without the tokenizer the server would need (compress/servable.ts).
    writeBertTokenizer(dir);
    const r = cli(
      'export-and-compress',
      FIXTURE,
      '--out',
      out,
      '--tokenizer',
      join(dir, 'tokenizer.json'),
      '--recipe',
      'int8',
      '--batch',
      '2',
      '--sequence',
      '8',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /int8\s+\d+ KiB\s+29%/);
    assert.ok(existsSync(join(out, 'onnx', 'model_int8.onnx')));
    const bad = cli('export-and-compress', FIXTURE, '--out', join(dir, 'x'), '--recipe', 'int7');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /error\[CLI_USAGE\]: unknown recipe step "int7"/);
    const badCalibration = cli(
      'export-and-compress',
      FIXTURE,
      '--out',
      join(dir, 'y'),
      '--calibration',
      'kl',
    );
    assert.equal(badCalibration.status, 2);
    assert.match(badCalibration.stderr, /--calibration must be minmax, percentile or entropy, got "kl"/);
  });
});
