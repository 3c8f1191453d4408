/**
 * Optimum's merged decoder (`decoder_model_merged.onnx`, one If over `use_cache_branch`) generates exactly what
 * the split decoder_model + decoder_with_past_model pair does, greedy and beam search alike, and a folder in
 * that layout is read as a translation model whose variant lists the encoder and the merged decoder.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readForeignModel } from '../../src/model-folder/foreign.js';
import { makeConfig } from '../../src/models/config.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { buildCachedDecoder } from '../../src/models/seq2seq-cached.js';
import { saveModel } from '../../src/onnx/io.js';
import { renameValues } from '../../src/onnx/passes/rename.js';
import { createSession } from '../../src/ort/session.js';
import { type OpenedTranslation, openTranslation } from '../../src/tasks/translation/decoder-sessions.js';
import { translateIds } from '../../src/tasks/translation/translate.js';
import { variantFiles } from '../../src/tasks/translation/translation-model.js';
import { Rng } from '../../src/util/rng.js';
import { mergeDecoders } from '../helpers/merged-decoder.js';
import { perturbedSeq2Seq } from '../helpers/seq2seq-weights.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-merged-'));
const onnx = join(dir, 'onnx');
let split: OpenedTranslation;
let merged: OpenedTranslation;

before(async () => {
  mkdirSync(onnx);
  const config = makeConfig({
    vocabSize: 60,
    dModel: 16,
    layers: 2,
    heads: 2,
    ffn: 32,
    maxLength: 24,
    dropout: 0,
    attentionDropout: 0,
  });
  const { bake } = perturbedSeq2Seq(config);
  const encoder = bake(buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'encoder', dropout: false }).model);
  const renamed = {
    ...encoder,
    graph: renameValues(encoder.graph, {
      mapping: new Map([['encoder_hidden_states', 'last_hidden_state']]),
    }).graph,
  };
  const first = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: false }).model);
  const next = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: true }).model);
  saveModel(renamed, join(onnx, 'encoder_model.onnx'));
  saveModel(first, join(onnx, 'decoder_model.onnx'));
  saveModel(next, join(onnx, 'decoder_with_past_model.onnx'));
  saveModel(mergeDecoders(first, next), join(onnx, 'decoder_model_merged.onnx'));
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

  it('is picked from a variant file list; a lone decoder_model is refused', () => {
    assert.deepEqual(variantFiles(['onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx'], 'x'), {
      encoder: 'onnx/encoder_model.onnx',
      decoders: ['onnx/decoder_model_merged.onnx'],
    });
    assert.throws(
      () => variantFiles(['onnx/encoder_model.onnx', 'onnx/decoder_model.onnx'], 'x'),
      /decoder_with_past_model/,
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
