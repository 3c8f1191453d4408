/**
 * Optimum's merged decoder (`decoder_model_merged.onnx`, one If over `use_cache_branch`) generates exactly what
 * the split decoder_model + decoder_with_past_model pair does, greedy and beam search alike, and a folder in
 * that layout is read as a translation model whose variant lists the encoder and the merged decoder.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readForeignModel } from '../../src/model-folder/foreign.js';
import { createSession } from '../../src/ort/session.js';
import { type OpenedTranslation, openTranslation } from '../../src/tasks/translation/decoder-sessions.js';
import { translateIds } from '../../src/tasks/translation/translate.js';
import { readTranslationModel, variantFiles } from '../../src/tasks/translation/translation-model.js';
import { writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-merged-'));
const onnx = join(dir, 'onnx');
let split: OpenedTranslation;
let merged: OpenedTranslation;

before(async () => {
  mkdirSync(onnx);
  writeSeq2SeqGraphs(onnx, 'both');
  const open = (f: string) => createSession(join(onnx, f), { threads: 1 });
  split = await openTranslation(
    ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx'],
    open,
  );
  merged = await openTranslation(['encoder_model.onnx', 'decoder_model_merged.onnx'], open);
});

after(async () => {
  for (const s of [...(split?.opened ?? []), ...(merged?.opened ?? [])]) await s.release();
  rmSync(dir, { recursive: true, force: true });
});

const sources = [
  Int32Array.from([5, 9, 14, 22, 2]),
  Int32Array.from([7, 2]),
  Int32Array.from([30, 31, 32, 33, 34, 35, 2]),
];
const options = { bos: 0, eos: 2, pad: 1, decoderStart: 0, maxNewTokens: 12, maxLength: 24 };
const lists = (xs: readonly Int32Array[]) => xs.map((x) => [...x]);

describe('merged decoder (Optimum layout)', () => {
  it('generates exactly what the split decoders generate, greedy and with beams', async () => {
    const greedy = await translateIds(split.sessions, sources, options);
    assert.ok(
      greedy.some((x) => x.length > 2),
      'the random model generates more than an end token',
    );
    assert.deepEqual(lists(await translateIds(merged.sessions, sources, options)), lists(greedy));
    const beams = { ...options, numBeams: 3 };
    assert.deepEqual(
      lists(await translateIds(merged.sessions, sources, beams)),
      lists(await translateIds(split.sessions, sources, beams)),
    );
  });

  it('stops a source whose request was given up at the next step; the others are untouched', async () => {
    const full = await translateIds(split.sessions, sources, options);
    const long = full.findIndex((x) => x.length > 3);
    assert.ok(long >= 0, 'one source generates more than three tokens');
    // The flag turns after three polls (one per generated token): that source keeps three tokens.
    let polls = 0;
    const stopped = (s: number) => s === long && ++polls > 3;
    const cut = await translateIds(split.sessions, sources, { ...options, stopped });
    assert.deepEqual([...cut[long]!], [...full[long]!.slice(0, 3)]);
    assert.deepEqual(lists(cut.filter((_, i) => i !== long)), lists(full.filter((_, i) => i !== long)));
    // Beam search: a source stopped from the start holds no finished hypothesis; the rest are beam search's own.
    const beams = { ...options, numBeams: 3 };
    const all = await translateIds(split.sessions, sources, beams);
    const none = await translateIds(split.sessions, sources, { ...beams, stopped: (s: number) => s === 0 });
    assert.deepEqual([...none[0]!], []);
    assert.deepEqual(lists(none.slice(1)), lists(all.slice(1)));
  });

  it('is picked from a variant file list; a lone decoder_model is refused', () => {
    assert.deepEqual(variantFiles(['onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx'], 'x'), {
      encoder: 'onnx/encoder_model.onnx',
      decoders: ['onnx/decoder_model_merged.onnx'],
    });
    assert.throws(
      () => variantFiles(['onnx/encoder_model.onnx', 'onnx/decoder_model.onnx'], 'x'),
      /decoder_with_past_model.*optimum-cli export onnx --task text2text-generation-with-past/,
    );
  });

  it('generates from decoder_start_token_id where a T5-family config has no bos_token_id', () => {
    const folder = join(dir, 't5-ids');
    mkdirSync(folder);
    for (const f of ['encoder_model.onnx', 'decoder_model_merged.onnx'])
      copyFileSync(join(onnx, f), join(folder, f));
    const config = {
      model_type: 't5',
      n_positions: 24,
      decoder_start_token_id: 0,
      eos_token_id: 2,
      pad_token_id: 1,
    };
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    const m = readTranslationModel(folder);
    assert.deepEqual([m.decoderStart, m.eos, m.pad, m.bos], [0, 2, 1, 0]);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, decoder_start_token_id: 99 }));
    assert.throws(
      () => readTranslationModel(folder),
      /decoder_start_token_id.* 99 is outside the model's 60/,
    );
  });

  it('reads a merged-layout folder as a translation model listing encoder and merged decoder', () => {
    const folder = join(dir, 'merged-folder');
    mkdirSync(folder);
    for (const f of ['encoder_model.onnx', 'decoder_model_merged.onnx'])
      copyFileSync(join(onnx, f), join(folder, f));
    const m = readForeignModel(folder);
    assert.equal(m.tlc.task, 'translation');
    assert.deepEqual(m.tlc.variants[0]!.files, ['encoder_model.onnx', 'decoder_model_merged.onnx']);
    assert.ok(m.tlc.parameters.total > 0);
  });
});
