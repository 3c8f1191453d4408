/**
 * A classifier variant scored on labelled `--eval-data`: a TSV (`text<TAB>label`) or JSON Lines
 * (`{"text": …, "label": …}`) file, labels by name (config.json id2label) or by index. Accuracy and macro-F1
 * (the unweighted mean of each class's F1 over the classes that occur in the labels or the predictions).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../../errors/index.js';
import { createSession, runSession } from '../../ort/session.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { encoderFeeds } from '../encoder-inputs.js';
import type { VariantScores } from '../scores.js';
import { labelName, readLabels } from './labels.js';
import { classifyRequest } from './worker.js';

export interface LabelledText {
  readonly text: string;
  readonly label: string;
}

/** The rows of a TSV or JSON Lines file of labelled texts. */
export function readLabelledTexts(file: string): LabelledText[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TlcError('DATA_INVALID', `${file}: cannot read the evaluation data (${messageOf(error)})`);
  }
  const lines = raw.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    if (line.trimStart().startsWith('{')) {
      const row = JSON.parse(line) as { text?: unknown; label?: unknown };
      if (typeof row.text !== 'string' || (typeof row.label !== 'string' && typeof row.label !== 'number'))
        throw new TlcError(
          'DATA_INVALID',
          `${file}:${i + 1}: expected {"text": string, "label": string or number}`,
        );
      return { text: row.text, label: String(row.label) };
    }
    const tab = line.lastIndexOf('\t');
    if (tab < 0) throw new TlcError('DATA_INVALID', `${file}:${i + 1}: expected text<TAB>label`);
    return { text: line.slice(0, tab), label: line.slice(tab + 1).trim() };
  });
}

/** Accuracy and macro-F1 of `predicted` against `expected` (0–1). */
export function classificationScores(
  expected: readonly string[],
  predicted: readonly string[],
): { accuracy: number; macroF1: number } {
  const classes = new Set([...expected, ...predicted]);
  let correct = 0;
  const f1s: number[] = [];
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    expected.forEach((e, i) => {
      const p = predicted[i];
      if (e === c && p === c) tp++;
      else if (p === c) fp++;
      else if (e === c) fn++;
    });
    f1s.push(tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
  }
  expected.forEach((e, i) => {
    if (predicted[i] === e) correct++;
  });
  const n = Math.max(1, expected.length);
  return { accuracy: correct / n, macroF1: f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length) };
}

export async function evaluateClassifier(
  folder: string,
  modelFile: string,
  evalFile: string,
  threads: number,
  maxRows = 2000,
): Promise<VariantScores> {
  const rows = readLabelledTexts(evalFile).slice(0, maxRows);
  if (rows.length === 0) throw new TlcError('DATA_INVALID', `${evalFile}: no labelled texts`);
  const tokenizer = await Tokenizer.fromFile(join(folder, 'tokenizer.json'));
  const labels = readLabels(folder);
  const session = await createSession(modelFile, { threads, source: modelFile });
  const predicted: string[] = [];
  try {
    for (let start = 0; start < rows.length; start += 16) {
      const batch = rows.slice(start, start + 16).map((r) => Int32Array.from(tokenizer.encode(r.text)));
      const { ids, mask, dims } = classifyRequest(batch, tokenizer.specialIds.pad ?? 0);
      const out = await runSession(session, encoderFeeds(session, ids, mask, dims), ['logits']);
      const logits = out.logits!.data as Float32Array;
      const classes = out.logits!.dims[1]!;
      for (let k = 0; k < batch.length; k++) {
        const row = logits.subarray(k * classes, (k + 1) * classes);
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
        predicted.push(labelName(labels, best));
      }
    }
  } finally {
    await session.release();
  }
  // Labels given by index name the class the same way the model's answers do.
  const expected = rows.map((r) => (/^\d+$/.test(r.label) ? labelName(labels, Number(r.label)) : r.label));
  const s = classificationScores(expected, predicted);
  return { label_accuracy: s.accuracy, macro_f1: s.macroF1 };
}
