/**
 * Built-in English corpora for masked-language modelling. Documents are split whole, by hashing their id
 * (`split.ts`), so no address or chapter contributes text to two splits.
 */
import { TlcError } from '../errors/index.js';
import { loadMobyDick } from './moby-dick.js';
import { loadSotu } from './sotu.js';
import { groupBySplit, type Split, type SplitFractions, selectSplit } from './split.js';
import type { TextDocument } from './types.js';

/** `english` is SOTU followed by Moby-Dick. */
export type MlmCorpusName = 'sotu' | 'moby-dick' | 'english';

export const MLM_CORPUS_NAMES: readonly MlmCorpusName[] = ['sotu', 'moby-dick', 'english'];

export interface MlmCorpusOptions {
  /** Defaults: validation 0.05, test 0.05. */
  readonly fractions?: Partial<SplitFractions>;
}

let englishCache: readonly TextDocument[] | undefined;

function allDocuments(name: MlmCorpusName): readonly TextDocument[] {
  switch (name) {
    case 'sotu':
      return loadSotu();
    case 'moby-dick':
      return loadMobyDick();
    case 'english':
      englishCache ??= Object.freeze([...loadSotu(), ...loadMobyDick()]);
      return englishCache;
    default: {
      const never: never = name;
      throw new TlcError(
        'CONFIG_INVALID',
        `unknown MLM corpus "${String(never)}" (expected ${MLM_CORPUS_NAMES.join(', ')})`,
      );
    }
  }
}

/**
 * A built-in corpus, or one split of it. The package data is read on the first call and cached for the process;
 * the documents are frozen and shared between calls.
 */
export function loadMlmCorpus(
  name: MlmCorpusName,
  split?: Split,
  options: MlmCorpusOptions = {},
): readonly TextDocument[] {
  const docs = allDocuments(name);
  if (split === undefined) return docs;
  return selectSplit(docs, split, (d) => d.id, options.fractions);
}

/** Documents grouped by split (by hashing each id), each group in the input order. */
export function documentsBySplit<T extends { readonly id: string }>(
  docs: readonly T[],
  fractions?: Partial<SplitFractions>,
): Record<Split, T[]> {
  return groupBySplit(docs, (d) => d.id, fractions);
}
