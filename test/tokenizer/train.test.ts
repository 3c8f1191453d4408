/** The BPE trainer: pinned against HF tokenizers' BpeTrainer, deterministic, sized exactly, validated. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TlcError } from '../../src/errors/index.js';
import {
  BYTE_ALPHABET,
  countWords,
  stringifyTokenizerJson,
  type TrainProgress,
  toTokenizerJson,
  trainBpe,
  trainBpeFromCounts,
} from '../../src/tokenizer/index.js';
import { mobyDickTexts } from './corpus.js';

interface HfCase {
  readonly name: string;
  readonly texts: string | readonly string[];
  readonly repeat?: number;
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly finalVocabSize: number;
  readonly merges: readonly string[];
}

/** Merges HF tokenizers' BpeTrainer learned on the same texts (generator and version inside the file). */
const HF = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'hf-bpe-trainer.json'), 'utf8')) as {
  readonly generator: string;
  readonly cases: readonly HfCase[];
};

function textsOf(c: HfCase): string[] {
  if (typeof c.texts === 'string') return mobyDickTexts().slice(0, 33); // "records 0-32"
  return Array.from({ length: c.repeat ?? 1 }, () => c.texts as readonly string[]).flat();
}

const isConfigError = (pattern: RegExp) => (e: unknown) =>
  e instanceof TlcError && e.code === 'CONFIG_INVALID' && pattern.test(e.message);

describe('trainBpe', () => {
  for (const c of HF.cases) {
    it(`learns HF BpeTrainer's merges, in order (${c.name})`, () => {
      const model = trainBpe(textsOf(c), { vocabSize: c.vocabSize, minFrequency: c.minFrequency });
      assert.equal(model.tokens.length, c.finalVocabSize);
      assert.deepEqual(
        model.merges.map(([l, r]) => `${l} ${r}`),
        c.merges,
      );
    });
  }

  it('lays out the vocabulary as specials, the 256 byte symbols by code point, then merge results', () => {
    const model = trainBpe(mobyDickTexts().slice(0, 10), { vocabSize: 500 });
    assert.deepEqual(model.tokens.slice(0, 5), ['<s>', '<pad>', '</s>', '<unk>', '<mask>']);
    assert.deepEqual(model.tokens.slice(5, 261), BYTE_ALPHABET);
    assert.deepEqual(model.tokens.slice(5, 9), ['!', '"', '#', '$']);
    assert.equal(model.tokens[260], 'Ń');
    assert.deepEqual(
      model.tokens.slice(261),
      model.merges.map(([l, r]) => l + r),
    );
    for (const [token, id] of model.vocab) assert.equal(model.tokens[id], token);
  });

  it('fills the vocabulary exactly: specials + 256 bytes + merges = vocabSize', () => {
    for (const vocabSize of [261, 262, 1000, 5000]) {
      const model = trainBpe(mobyDickTexts(), { vocabSize });
      assert.equal(model.tokens.length, vocabSize);
      assert.equal(model.vocab.size, vocabSize);
      assert.equal(5 + 256 + model.merges.length, vocabSize);
    }
  });

  it('is deterministic, and independent of the order of the texts', () => {
    const texts = mobyDickTexts().slice(0, 40);
    const a = stringifyTokenizerJson(toTokenizerJson(trainBpe(texts, { vocabSize: 1500 })));
    const b = stringifyTokenizerJson(toTokenizerJson(trainBpe(texts, { vocabSize: 1500 })));
    const c = stringifyTokenizerJson(toTokenizerJson(trainBpe([...texts].reverse(), { vocabSize: 1500 })));
    assert.equal(a, b);
    assert.equal(a, c);
  });

  it('merges only pairs seen at least minFrequency times', () => {
    // "ab" and " ab" hold (a, b) twice; (Ġ, a), (Ġ, c) and (c, d) occur once.
    assert.deepEqual(trainBpe(['ab ab cd'], { minFrequency: 2 }).merges, [['a', 'b']]);
    assert.deepEqual(trainBpe(['ab ab cd'], { minFrequency: 3 }).merges, []);
    assert.equal(trainBpe(['ab ab cd'], { minFrequency: 1 }).merges.length, 4);
    const rare = trainBpe(mobyDickTexts().slice(0, 20), { vocabSize: 8000, minFrequency: 1_000_000 });
    assert.equal(rare.tokens.length, 261);
    // A high threshold stops early: fewer merges than the vocabulary allows, all of them frequent pairs.
    const strict = trainBpe(mobyDickTexts(), { vocabSize: 20_000, minFrequency: 500 });
    const loose = trainBpe(mobyDickTexts(), { vocabSize: 20_000, minFrequency: 2 });
    assert.ok(strict.merges.length < loose.merges.length);
    assert.deepEqual(loose.merges.slice(0, strict.merges.length), strict.merges);
  });

  it('stops when no pair is left, short of vocabSize', () => {
    const model = trainBpe(['aaaa'], { vocabSize: 8000, minFrequency: 1 });
    assert.deepEqual(model.merges, [
      ['a', 'a'],
      ['aa', 'aa'],
    ]);
    assert.equal(trainBpe([], { vocabSize: 300 }).tokens.length, 261);
  });

  it('refuses a vocabulary smaller than the special tokens and bytes', () => {
    assert.throws(
      () => trainBpe(['x'], { vocabSize: 260 }),
      isConfigError(/vocabSize 260 is too small.*261/),
    );
    assert.throws(
      () => trainBpe(['x'], { vocabSize: 255, specialTokens: [] }),
      isConfigError(/at least 256/),
    );
    assert.equal(trainBpe(['x'], { vocabSize: 256, specialTokens: [] }).tokens.length, 256);
    assert.throws(() => trainBpe(['x'], { vocabSize: 1000.5 }), isConfigError(/vocabSize/));
  });

  it('refuses bad special tokens and minFrequency', () => {
    assert.throws(() => trainBpe(['x'], { specialTokens: ['<s>', '<s>'] }), isConfigError(/repeat/));
    assert.throws(() => trainBpe(['x'], { specialTokens: [''] }), isConfigError(/empty/));
    assert.throws(() => trainBpe(['x'], { specialTokens: ['!'] }), isConfigError(/byte symbol/));
    assert.throws(() => trainBpe(['x'], { minFrequency: -1 }), isConfigError(/minFrequency/));
  });

  it('trains the same from counts summed over corpora', () => {
    const texts = mobyDickTexts().slice(0, 30);
    const counts = countWords(texts);
    assert.deepEqual(trainBpeFromCounts(counts, { vocabSize: 800 }), trainBpe(texts, { vocabSize: 800 }));
  });

  it('reports progress for counting and merging', () => {
    const seen: TrainProgress[] = [];
    trainBpe(mobyDickTexts(), { vocabSize: 2500, onProgress: (p) => seen.push(p) });
    const counts = seen.filter((p) => p.stage === 'count');
    const merges = seen.filter((p) => p.stage === 'merge');
    assert.equal(counts.at(-1)?.texts, mobyDickTexts().length);
    assert.deepEqual(
      merges.map((p) => p.merges),
      [1000, 2000, 2239],
    );
    assert.deepEqual(merges.at(-1), { stage: 'merge', merges: 2239, vocabSize: 2500, targetVocabSize: 2500 });
  });
});
