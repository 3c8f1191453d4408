/**
 * Built-in translation pairs: English → French (default) and English → Spanish, one pair per Quran verse,
 * id `chapter:verse` (6236 pairs).
 *
 * Splits hash `quran:<chapter>:<verse>` by default, so the split of a verse is the same for en-fr and en-es (an
 * English verse held out of one pair's training is held out of the other's). `splitBy: 'chapter'` hashes
 * `quran:<chapter>` instead, keeping each chapter (surah) whole in one split, at the price of uneven split sizes:
 * 114 chapters of 3 to 286 verses.
 */
import { TlcError } from '../errors/index.js';
import { unexpectedShape } from './package-data.js';
import { loadQuranTranslation, QURAN_PACKAGE, type QuranLanguage, stripBrackets } from './quran.js';
import { type Split, type SplitFractions, selectSplit } from './split.js';
import type { TranslationPair } from './types.js';

export type TranslationPairName = 'en-fr' | 'en-es';

export const TRANSLATION_PAIR_NAMES: readonly TranslationPairName[] = ['en-fr', 'en-es'];

export interface TranslationCorpusOptions {
  /** Default 'en-fr'. */
  readonly pair?: TranslationPairName;
  readonly split?: Split;
  /** What is hashed to pick the split: each verse (default) or each chapter. */
  readonly splitBy?: 'verse' | 'chapter';
  /** Defaults: validation 0.05, test 0.05. */
  readonly fractions?: Partial<SplitFractions>;
  /** Translator's bracketed insertions: 'unwrap' keeps the words and drops the brackets (default); 'keep'. */
  readonly brackets?: 'unwrap' | 'keep';
}

function languagesOf(pair: TranslationPairName): readonly [QuranLanguage, QuranLanguage] {
  switch (pair) {
    case 'en-fr':
      return ['en', 'fr'];
    case 'en-es':
      return ['en', 'es'];
    default: {
      const never: never = pair;
      throw new TlcError(
        'CONFIG_INVALID',
        `unknown translation pair "${String(never)}" (expected ${TRANSLATION_PAIR_NAMES.join(', ')})`,
      );
    }
  }
}

const cache = new Map<string, readonly TranslationPair[]>();

function allPairs(pair: TranslationPairName, brackets: 'unwrap' | 'keep'): readonly TranslationPair[] {
  const cacheKey = `${pair}/${brackets}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const [sourceLang, targetLang] = languagesOf(pair);
  const sources = loadQuranTranslation(sourceLang);
  const targets = loadQuranTranslation(targetLang);
  if (sources.length !== targets.length)
    throw unexpectedShape(
      QURAN_PACKAGE,
      `${sourceLang} has ${sources.length} verses, ${targetLang} ${targets.length}`,
    );
  const clean = brackets === 'unwrap' ? stripBrackets : (text: string) => text.trim();
  const pairs = sources.map((s, i) => {
    const t = targets[i]!;
    if (s.chapter !== t.chapter || s.verse !== t.verse)
      throw unexpectedShape(
        QURAN_PACKAGE,
        `verse ${s.chapter}:${s.verse} is not aligned with ${t.chapter}:${t.verse}`,
      );
    return Object.freeze({ id: `${s.chapter}:${s.verse}`, source: clean(s.text), target: clean(t.text) });
  });
  const frozen = Object.freeze(pairs);
  cache.set(cacheKey, frozen);
  return frozen;
}

/** The split key of a Quran pair id (`chapter:verse`). */
export function quranSplitKey(id: string, splitBy: 'verse' | 'chapter' = 'verse'): string {
  return splitBy === 'chapter' ? `quran:${id.slice(0, id.indexOf(':'))}` : `quran:${id}`;
}

/**
 * Verse-aligned pairs in canonical order, or one split of them. The package data is read on the first call and
 * cached for the process; the pairs are frozen and shared between calls.
 */
export function loadTranslationPairs(options: TranslationCorpusOptions = {}): readonly TranslationPair[] {
  const pair = options.pair ?? 'en-fr';
  const brackets = options.brackets ?? 'unwrap';
  if (brackets !== 'unwrap' && brackets !== 'keep')
    throw new TlcError('CONFIG_INVALID', `brackets must be unwrap or keep, got "${String(brackets)}"`);
  const splitBy = options.splitBy ?? 'verse';
  if (splitBy !== 'verse' && splitBy !== 'chapter')
    throw new TlcError('CONFIG_INVALID', `splitBy must be verse or chapter, got "${String(splitBy)}"`);
  const pairs = allPairs(pair, brackets);
  if (options.split === undefined) return pairs;
  return selectSplit(pairs, options.split, (p) => quranSplitKey(p.id, splitBy), options.fractions);
}
