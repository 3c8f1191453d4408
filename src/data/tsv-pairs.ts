/**
 * User translation pairs from a TSV file: one `source<TAB>target` pair per line, UTF-8. Blank lines and lines
 * whose first non-blank character is `#` are skipped; each side is trimmed (control characters dropped) and
 * must be non-empty. Pair ids are
 * `<path>:<line>`. Splits hash the source sentence rather than the line number, so a source repeated on several
 * lines (a common leak between train and test) always lands in one split, and inserting lines moves nothing.
 */
import { TlcError } from '../errors/index.js';
import { normaliseText } from './clean-text.js';
import { type Split, type SplitFractions, selectSplit } from './split.js';
import { readTextFile } from './text-file.js';
import type { TranslationPair } from './types.js';

export interface TsvPairsOptions {
  readonly split?: Split;
  /** Defaults: validation 0.05, test 0.05. */
  readonly fractions?: Partial<SplitFractions>;
}

/** The split key of a TSV pair: its source sentence. */
export function tsvSplitKey(pair: TranslationPair): string {
  return `tsv:${pair.source}`;
}

function malformed(line: string): string | undefined {
  const fields = line.split('\t');
  if (fields.length !== 2) return `expected 2 tab-separated fields (source, target), found ${fields.length}`;
  if (normaliseText(fields[0]!) === '') return 'empty source';
  if (normaliseText(fields[1]!) === '') return 'empty target';
  return undefined;
}

/** Parses TSV text; `path` only names the file in ids and errors. Throws DATA_INVALID at malformed lines. */
export function parseTsvPairs(text: string, path: string): TranslationPair[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
  const pairs: TranslationPair[] = [];
  const bad: { line: number; why: string }[] = [];
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const why = malformed(line);
    if (why !== undefined) {
      bad.push({ line: i + 1, why });
      return;
    }
    const [source, target] = line.split('\t') as [string, string];
    pairs.push(
      Object.freeze({ id: `${path}:${i + 1}`, source: normaliseText(source), target: normaliseText(target) }),
    );
  });
  const first = bad[0];
  if (first) {
    const more = bad.length > 1 ? ` (${bad.length} malformed lines, also ${listLines(bad.slice(1))})` : '';
    throw new TlcError('DATA_INVALID', `${path}: line ${first.line}: ${first.why}${more}`);
  }
  if (pairs.length === 0) throw new TlcError('DATA_INVALID', `${path}: no source<TAB>target pairs`);
  return pairs;
}

function listLines(bad: readonly { line: number }[]): string {
  const shown = bad.slice(0, 5).map((b) => b.line);
  return `line${shown.length > 1 ? 's' : ''} ${shown.join(', ')}${bad.length > 5 ? ', ...' : ''}`;
}

/** Reads a TSV file of pairs, or one split of it. */
export async function loadTsvPairs(path: string, options: TsvPairsOptions = {}): Promise<TranslationPair[]> {
  const pairs = parseTsvPairs(await readTextFile(path), path);
  if (options.split === undefined) return pairs;
  return selectSplit(pairs, options.split, tsvSplitKey, options.fractions);
}
