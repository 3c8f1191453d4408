/**
 * The text-classification task's training data: labelled texts of a split, from a built-in set
 * (src/data/classification-corpora.ts) or one user file (TSV or JSON Lines). A user file's rows are split by a
 * hash of their text, so that a text and its duplicates land in one split wherever the file lies; the built-in
 * sets split by document (an address's passages together). Label names are sorted: output i is the i-th.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classificationCorpus,
  groupBySplit,
  type LabelledText,
  readLabelledFile,
  type Split,
} from '../../data/index.js';
import { TlcError } from '../../errors/index.js';
import type { RunConfig } from '../../run-folder/run-config.js';

/** Validation and test: a tenth each. */
const FRACTIONS = { validation: 0.1, test: 0.1 } as const;

const cache = new Map<string, Record<Split, LabelledText[]>>();

/** The run's labelled texts by split (read once per process). */
export function labelledSplits(run: RunConfig): Record<Split, LabelledText[]> {
  const key = run.dataFiles.length > 0 ? `file:${run.dataFiles[0]}` : `corpus:${run.corpus}`;
  let splits = cache.get(key);
  if (splits === undefined) {
    splits =
      run.dataFiles.length > 0
        ? groupBySplit(readLabelledFile(run.dataFiles[0]!), (t) => t.text, FRACTIONS)
        : classificationCorpus(run.corpus, {}, FRACTIONS);
    cache.set(key, splits);
  }
  return splits;
}

/** The label names of the training split, sorted; at least two, or DATA_INVALID. */
export function labelNames(splits: Record<Split, LabelledText[]>, where: string): string[] {
  const names = [...new Set(splits.train.map((t) => t.label))].sort();
  if (names.length < 2)
    throw new TlcError(
      'DATA_INVALID',
      `${where}: the training split has ${names.length} label(s) (${names.join(', ') || 'none'}); a classifier needs two or more`,
    );
  return names;
}

/** Where the run's data came from, and each split's size and labels: data.json in the run folder. */
export function recordSplits(run: RunConfig, splits: Record<Split, LabelledText[]>): void {
  const counts = (rows: readonly LabelledText[]) => {
    const byLabel: Record<string, number> = {};
    for (const r of rows) byLabel[r.label] = (byLabel[r.label] ?? 0) + 1;
    return { texts: rows.length, labels: byLabel };
  };
  const record = {
    source: run.dataFiles[0] ?? run.corpus,
    split:
      run.dataFiles.length > 0
        ? 'hash of each text: validation and test 10% each'
        : 'hash of each document id: validation and test 10% each',
    train: counts(splits.train),
    validation: counts(splits.validation),
    test: counts(splits.test),
  };
  writeFileSync(join(run.out, 'data.json'), `${JSON.stringify(record, null, 2)}\n`);
}
