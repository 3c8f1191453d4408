/**
 * A run's test split written as export-and-compress and `tlc bench` read evaluation data: plain text (MLM,
 * documents separated by blank lines) or a TSV of source and target (translation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readRunConfig } from '../../run-folder/run-config.js';
import { mlmDocuments, translationPairs } from './data.js';

/** Writes `<base>.txt` or `<base>.tsv` from the run in `runDir`; returns the file and the run's task. */
export async function writeTestSplit(
  runDir: string,
  base: string,
): Promise<{ file: string; task: 'mlm' | 'translation' }> {
  const config = readRunConfig(runDir);
  mkdirSync(dirname(base), { recursive: true });
  if (config.task === 'mlm') {
    const docs = await mlmDocuments(config, 'test');
    writeFileSync(`${base}.txt`, docs.map((d) => d.text).join('\n\n'));
    return { file: `${base}.txt`, task: 'mlm' };
  }
  const pairs = await translationPairs(config, 'test');
  const clean = (t: string) => t.replace(/[\t\n\r]+/g, ' ');
  writeFileSync(`${base}.tsv`, pairs.map((p) => `${clean(p.source)}\t${clean(p.target)}`).join('\n'));
  return { file: `${base}.tsv`, task: 'translation' };
}
