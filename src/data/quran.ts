/**
 * Verse-aligned Quran translations from `quran-json` (`dist/quran_<lang>.json`: 114 chapters, 6236 verses, each
 * verse `{ id, text (Arabic), translation }`). English is Saheeh International, French Muhammad Hamidullah,
 * Spanish Muhammad Isa García (all via tanzil.net; see licences.ts). The translations carry no footnote markers;
 * square brackets mark words the translator added for sense (`[All] praise is [due] to Allah`), and
 * `stripBrackets` keeps those words and drops the brackets, so the sentence reads as a translator's full text.
 * Parentheses are part of the translations (the French uses them for glosses) and are kept.
 */
import { readPackageJson, unexpectedShape } from './package-data.js';

export const QURAN_PACKAGE = 'quran-json';

export type QuranLanguage = 'en' | 'fr' | 'es';

export interface QuranVerse {
  readonly chapter: number;
  readonly verse: number;
  /** The translation as shipped, brackets included. */
  readonly text: string;
}

interface RawChapter {
  readonly id: number;
  readonly verses: readonly { readonly id: number; readonly translation: string }[];
}

function isChapter(value: unknown): value is RawChapter {
  const c = value as Partial<RawChapter> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.id === 'number' &&
    Array.isArray(c.verses) &&
    c.verses.every(
      (v: unknown) =>
        typeof (v as { id?: unknown }).id === 'number' &&
        typeof (v as { translation?: unknown }).translation === 'string',
    )
  );
}

const cache = new Map<QuranLanguage, readonly QuranVerse[]>();

/** Every verse of one translation in canonical order; read on first use and cached for the process. */
export function loadQuranTranslation(language: QuranLanguage): readonly QuranVerse[] {
  const hit = cache.get(language);
  if (hit) return hit;
  const file = `dist/quran_${language}.json`;
  const chapters = readPackageJson(QURAN_PACKAGE, file);
  if (!Array.isArray(chapters) || !chapters.every(isChapter))
    throw unexpectedShape(QURAN_PACKAGE, `${file}: expected [{ id, verses: [{ id, translation }] }]`);
  const verses = Object.freeze(
    chapters.flatMap((c) =>
      c.verses.map((v) => Object.freeze({ chapter: c.id, verse: v.id, text: v.translation })),
    ),
  );
  cache.set(language, verses);
  return verses;
}

/** `[All] praise is [due] to Allah` → `All praise is due to Allah`. */
export function stripBrackets(text: string): string {
  return text
    .replace(/[[\]]/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
