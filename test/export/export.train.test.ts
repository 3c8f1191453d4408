/**
 * Export of a trained MLM run to a Hugging Face-layout folder, loaded by @huggingface/transformers'
 * fill-mask pipeline from the local path: the same top-5 as running the ONNX model directly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportRun } from '../../src/export/export-run.js';
import type { TlcModelJson } from '../../src/model-folder/tlc-json.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { i64, runModelFile } from '../helpers/ort.js';
import { countingText, tinyRun } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const WORDS = ['north', 'east', 'south', 'west', 'up', 'down', 'left', 'right', 'in', 'out'];
const runDir = join(dir, 'run');
const modelDir = join(dir, 'models', 'compass');

before(async () => {
  writeFileSync(
    join(dir, 'text.txt'),
    countingText(Rng.seeded(3), WORDS, 300, () => 30),
  );
  const config = tinyRun({
    evalEvery: '150',
    evalTokens: '2048',
    evalSentences: '10',
    width: '32',
    data: [join(dir, 'text.txt')],
    maxSteps: '150',
    out: runDir,
  });
  await runTraining(config, { log: () => {} });
});

describe('export to a Hugging Face model folder', () => {
  it('writes config, tokenizer, tlc.json and onnx/model.onnx atomically', async () => {
    const result = await exportRun(runDir, modelDir);
    assert.deepEqual(readdirSync(modelDir).sort(), [
      'config.json',
      'onnx',
      'tlc.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    assert.ok(existsSync(join(modelDir, 'onnx', 'model.onnx')));
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.model_type, 'roberta');
    assert.equal(config.num_hidden_layers, 2);
    // The default recipe's ALiBi positions: no position table in the graph, the scheme named in config.json.
    assert.equal(config.position_embedding_type, 'alibi');
    const tlc = JSON.parse(readFileSync(join(modelDir, 'tlc.json'), 'utf8')) as TlcModelJson;
    assert.equal(tlc.task, 'fill-mask');
    assert.equal(tlc.architecture.positions, 'alibi');
    assert.equal(tlc.training?.step, 150);
    assert.equal(tlc.variants[0]?.files[0], 'onnx/model.onnx');
    assert.deepEqual(tlc, result.tlc);
    assert.equal(
      readdirSync(dirname(modelDir)).filter((f) => f.includes('.tmp')).length,
      0,
      'no temporary folder left',
    );
    await assert.rejects(exportRun(runDir, modelDir), { code: 'EXPORT_FAILED', message: /--force/ });
  });

  it('loads in transformers.js fill-mask from the local path with the same top-5 as the ONNX model', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(modelDir)}/`;
    const fill = await pipeline('fill-mask', basename(modelDir), { dtype: 'fp32' });
    const text = 'north east south <mask> up down left';
    const theirs = (await fill(text, { top_k: 5 })) as { score: number; token: number; token_str: string }[];

    const tokenizer = await Tokenizer.fromFile(modelDir);
    const ids = tokenizer.encode(text);
    const maskAt = ids.indexOf(tokenizer.specialId('mask'));
    const out = await runModelFile(join(modelDir, 'onnx', 'model.onnx'), {
      input_ids: i64(ids, [1, ids.length]),
      attention_mask: i64(
        ids.map(() => 1),
        [1, ids.length],
      ),
    });
    const vocab = out.logits!.dims[2]!;
    const row = Array.from((out.logits!.data as Float32Array).subarray(maskAt * vocab, (maskAt + 1) * vocab));
    const max = Math.max(...row);
    const total = row.reduce((s, v) => s + Math.exp(v - max), 0);
    const ours = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 5);
    assert.deepEqual(
      theirs.map((r) => r.token),
      ours,
    );
    for (const [k, r] of theirs.entries())
      assert.ok(Math.abs(r.score - Math.exp(row[ours[k]!]! - max) / total) < 1e-4);
    assert.ok(
      WORDS.includes(theirs[0]!.token_str.trim()),
      `a trained model predicts a word of its corpus: "${theirs[0]!.token_str}"`,
    );
  });
});

describe('export of a translation run', () => {
  it('writes the encoder, the decoder and the decoder with past in Optimum layout, with a marian config', async () => {
    const rng = Rng.seeded(5);
    const lines = Array.from({ length: 400 }, () => {
      const words = Array.from({ length: 2 + rng.int(4) }, () => WORDS[rng.int(WORDS.length)]!);
      return `${words.join(' ')}\t${words.map((w) => w.toUpperCase()).join(' ')}`;
    });
    writeFileSync(join(dir, 'pairs.tsv'), lines.join('\n'));
    const run = join(dir, 'translation-run');
    const settings = tinyRun({
      task: 'translation',
      maxLength: '16',
      activation: 'relu',
      batchTokens: '256',
      lr: '2e-3',
      warmup: '10',
      evalEvery: '30',
      evalTokens: '1024',
      evalSentences: '5',
      width: '32',
      layers: '1',
      data: [join(dir, 'pairs.tsv')],
      maxSteps: '30',
      out: run,
    });
    await runTraining(settings, { log: () => {} });
    const out = join(dir, 'models', 'upper');
    const result = await exportRun(run, out);
    assert.deepEqual(result.tlc.variants[0]!.files, [
      'onnx/encoder_model.onnx',
      'onnx/decoder_model.onnx',
      'onnx/decoder_with_past_model.onnx',
    ]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.model_type, 'marian');
    assert.equal(config.decoder_start_token_id, 0);
    assert.ok(existsSync(join(out, 'generation_config.json')));
    const tokenizer = await Tokenizer.fromFile(out);
    const ids = tokenizer.encode('north east', { addSpecialTokens: false });
    const source = [...ids, tokenizer.specialId('eos')];
    const mask = i64(
      source.map(() => 1),
      [1, source.length],
    );
    const enc = await runModelFile(join(out, 'onnx', 'encoder_model.onnx'), {
      input_ids: i64(source, [1, source.length]),
      attention_mask: mask,
    });
    assert.deepEqual(enc.last_hidden_state!.dims, [1, source.length, 32]);
    const dec = await runModelFile(join(out, 'onnx', 'decoder_model.onnx'), {
      input_ids: i64([tokenizer.specialId('bos')], [1, 1]),
      encoder_attention_mask: mask,
      encoder_hidden_states: enc.last_hidden_state!,
    });
    assert.deepEqual(dec.logits!.dims, [1, 1, result.tlc.architecture.vocabSize]);
    assert.deepEqual(dec['present.0.encoder.key']!.dims, [1, 2, source.length, 16]);
    const past = Object.fromEntries(
      Object.entries(dec)
        .filter(([k]) => k.startsWith('present.'))
        .map(([k, v]) => [k.replace('present.', 'past_key_values.'), v]),
    );
    const step = await runModelFile(join(out, 'onnx', 'decoder_with_past_model.onnx'), {
      input_ids: i64([5], [1, 1]),
      encoder_attention_mask: mask,
      ...past,
    });
    assert.deepEqual(step['present.0.decoder.key']!.dims, [1, 2, 2, 16]);
  });
});
