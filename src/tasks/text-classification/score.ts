/**
 * A classifier variant scored on labelled `--eval-data`: a TSV (`text<TAB>label`) or JSON Lines
 * (`{"text": …, "label": …}`) file, labels by name (config.json id2label) or by index. Accuracy and macro-F1
 * (the unweighted mean of each class's F1 over the classes that occur in the labels or the predictions).
 */
import { join } from 'node:path';
import { readLabelledFile } from '../../data/labelled-file.js';
import { classificationScores } from '../../eval/classification.js';
import { createSession, runSession } from '../../ort/session.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { truncateIds } from '../../tokenizer/truncate.js';
import { encoderFeeds } from '../encoder-inputs.js';
import type { VariantScores } from '../scores.js';
import { labelName, readLabels } from './labels.js';
import { classifyRequest } from './worker.js';

export async function evaluateClassifier(
  folder: string,
  modelFile: string,
  evalFile: string,
  threads: number,
  maxLength: number,
  maxRows = 2000,
): Promise<VariantScores> {
  const rows = readLabelledFile(evalFile).slice(0, maxRows);
  const tokenizer = await Tokenizer.fromFile(join(folder, 'tokenizer.json'));
  const labels = readLabels(folder);
  const session = await createSession(modelFile, { threads, source: modelFile });
  const predicted: string[] = [];
  try {
    for (let start = 0; start < rows.length; start += 16) {
      const batch = rows
        .slice(start, start + 16)
        .map((r) => Int32Array.from(tokenizer.encode(r.text)))
        .map((ids) => (maxLength > 0 ? truncateIds(ids, maxLength, tokenizer.specialIds.eos) : ids));
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
