/**
 * The built-in labelled sets for text classification, by name: `spam-assassin` (spam or ham, with a header choice)
 * and `sotu-party` (Democratic or Republican passages of State of the Union addresses). Splits come from each
 * text's id (split.ts: hashed, no seed; an address's passages share one), so they are the same on every machine.
 */
import { TlcError } from '../errors/index.js';
import { loadSotuParty } from './sotu-party.js';
import { type HeaderChoice, loadSpamAssassin } from './spam-assassin.js';
import { groupBySplit, type Split, type SplitFractions } from './split.js';
import type { LabelledText } from './types.js';

export interface ClassificationCorpusOptions {
  /** spam-assassin: what of the headers to keep (default the Subject line). */
  readonly headers?: HeaderChoice;
}

const CORPORA = {
  'spam-assassin': (o: ClassificationCorpusOptions) => loadSpamAssassin(o.headers),
  'sotu-party': () => loadSotuParty(),
} as const satisfies Record<string, (o: ClassificationCorpusOptions) => LabelledText[]>;

export type ClassificationCorpusName = keyof typeof CORPORA;
export const CLASSIFICATION_CORPUS_NAMES = Object.keys(CORPORA) as ClassificationCorpusName[];

/** The labelled texts of a built-in set, by split (test and validation 10% each unless given). */
export function classificationCorpus(
  name: string,
  options: ClassificationCorpusOptions = {},
  fractions: Partial<SplitFractions> = { validation: 0.1, test: 0.1 },
): Record<Split, LabelledText[]> {
  if (!Object.hasOwn(CORPORA, name))
    throw new TlcError(
      'CONFIG_INVALID',
      `unknown classification set "${name}" (built in: ${CLASSIFICATION_CORPUS_NAMES.join(', ')}; or give a TSV / JSONL file)`,
    );
  return groupBySplit(CORPORA[name as ClassificationCorpusName](options), (t) => t.id, fractions);
}
