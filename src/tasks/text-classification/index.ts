/**
 * The text-classification task: classifiers fine-tuned by `tlc train --task classify --init …` and exported as
 * RobertaForSequenceClassification, and sequence classifiers from elsewhere (`*ForSequenceClassification`
 * exports from PyTorch and Optimum), served with their own labels, compressed and scored by accuracy and
 * macro-F1 on labelled `--eval-data`.
 */
import { join } from 'node:path';
import { wholeGraphProbe } from '../probe-inputs.js';
import type { TaskSpec } from '../spec.js';
import { textClassificationAbout } from './about.js';
import { classifyExport } from './export.js';
import { evaluateClassifier } from './score.js';
import { classifyServing } from './serve.js';
import { classifyTraining } from './train.js';
import { classifyWorker } from './worker.js';

export const textClassification: TaskSpec<'text-classification'> = {
  name: textClassificationAbout.name,
  worker: classifyWorker,
  serving: classifyServing,
  scoring: {
    metric: textClassificationAbout.metrics[0],
    dataDescription: 'a TSV (text<TAB>label) or JSON Lines ({"text", "label"}) file (accuracy and macro-F1)',
    sampleLength: (maxLength, asked) => Math.min(asked, maxLength || asked),
    score: (folder, files, evalFile, o) =>
      evaluateClassifier(folder, join(folder, files[0]!), evalFile, o.threads, o.maxLength),
  },
  training: classifyTraining,
  export: classifyExport,
  bench: { lengths: [32, 128], probe: wholeGraphProbe },
};
