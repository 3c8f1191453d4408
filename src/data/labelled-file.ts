/**
 * A user's labelled texts: a TSV file (`text<TAB>label`, the label after the last tab) or JSON Lines
 * (`{"text": …, "label": …}`, a label may be a number). Each row's id is `<file>:<line>`.
 */
import { readFileSync } from 'node:fs';
import { messageOf, TlcError } from '../errors/index.js';
import type { LabelledText } from './types.js';

export function readLabelledFile(file: string): LabelledText[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TlcError('DATA_INVALID', `${file}: cannot read the labelled texts (${messageOf(error)})`);
  }
  const rows: LabelledText[] = [];
  for (const [i, line] of raw.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    if (line.trimStart().startsWith('{')) {
      let row: { text?: unknown; label?: unknown };
      try {
        row = JSON.parse(line) as typeof row;
      } catch (error) {
        throw new TlcError('DATA_INVALID', `${where}: not JSON (${messageOf(error)})`);
      }
      if (typeof row.text !== 'string' || (typeof row.label !== 'string' && typeof row.label !== 'number'))
        throw new TlcError('DATA_INVALID', `${where}: expected {"text": string, "label": string or number}`);
      rows.push({ id: where, text: row.text, label: String(row.label) });
      continue;
    }
    const tab = line.lastIndexOf('\t');
    if (tab < 0) throw new TlcError('DATA_INVALID', `${where}: expected text<TAB>label or a JSON object`);
    rows.push({ id: where, text: line.slice(0, tab), label: line.slice(tab + 1).trim() });
  }
  if (rows.length === 0) throw new TlcError('DATA_INVALID', `${file}: no labelled texts`);
  return rows;
}
