/**
 * Fine-tuning a classifier (`tlc train --task classify --init <run or built-in model>`): the initial run's encoder
 * and tokenizer, RoBERTa's head on the first token, labelled texts of a built-in set or a user file; validation
 * loss, accuracy and macro-F1, and naive Bayes on the same texts as the baseline to beat.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CLASSIFICATION_CORPUS_NAMES } from '../../data/index.js';
import { TlcError } from '../../errors/index.js';
import { buildSequenceClassifier } from '../../models/classifier.js';
import type { TransformerConfig } from '../../models/config.js';
import { modelConfig, type RunConfig } from '../../run-folder/run-config.js';
import type { BpeModel } from '../../tokenizer/model.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { Rng } from '../../util/rng.js';
import type { SplitEvaluation, TrainingSpec, TrainingTask } from '../spec.js';
import { ClassifyBatcher, encodeExamples } from './batches.js';
import { labelledSplits, labelNames, recordSplits } from './data.js';
import { evaluateClassifierRun, naiveBayesBaseline } from './evaluate.js';

/** The run's label names (resolved from its data before run.json is written). */
export function runLabels(run: RunConfig): readonly string[] {
  if (run.labels === undefined || run.labels.length < 2)
    throw new TlcError('CHECKPOINT_FAILED', `${run.out}: a classify run without its labels in run.json`);
  return run.labels;
}

const classifier = (config: TransformerConfig, run: RunConfig, head: 'loss' | 'logits', dropout: boolean) =>
  buildSequenceClassifier(config, {
    rng: Rng.seeded(run.seed),
    labels: runLabels(run).length,
    head,
    dropout,
  });

const batchOptions = (run: RunConfig, special: SpecialIds) => ({
  batchSize: Math.max(1, Math.floor(run.batchTokens / run.model.maxLength)),
  pad: special.pad,
  maxLength: run.model.maxLength,
  seed: run.seed,
});

async function prepareClassify(
  run: RunConfig,
  tokenizer: BpeModel,
  special: SpecialIds,
  log: (m: string) => void,
): Promise<TrainingTask> {
  if (run.init === undefined)
    throw new TlcError('CONFIG_INVALID', 'a classifier is fine-tuned from a pretrained encoder: give --init');
  const labels = runLabels(run);
  const splits = labelledSplits(run);
  recordSplits(run, splits);
  const t0 = performance.now();
  const encode = (rows: typeof splits.train) =>
    encodeExamples(tokenizer, special, rows, labels, run.model.maxLength);
  const train = encode(splits.train);
  const validation = encode(splits.validation);
  if (validation.length === 0)
    throw new TlcError(
      'DATA_INVALID',
      `the validation split is empty (${train.length} texts in all); give more texts`,
    );
  log(
    `data: ${train.length} training texts, ${validation.length} validation texts, labels ${labels.join(', ')}; tokenized in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const options = batchOptions(run, special);
  const batcher = new ClassifyBatcher(train, options);
  const config = modelConfig(run, tokenizer.tokens.length);
  return {
    train: classifier(config, run, 'loss', true),
    evaluate: classifier(config, run, 'loss', false),
    batch: (step, micro) => batcher.batch(step, micro, run.accumulate),
    validate: async (view) => {
      const m = await evaluateClassifierRun(view.evaluate, validation, labels, options);
      return { loss: m.loss, accuracy: m.accuracy, macro_f1: m.macroF1 };
    },
    baseline: naiveBayesBaseline(splits.train, splits.validation),
  };
}

/** Loss, accuracy, macro-F1 and the naive Bayes baseline on a split; the confusion matrix beside the checkpoint. */
async function evaluateSplit(e: SplitEvaluation): Promise<Record<string, number>> {
  const { run, special } = e;
  const labels = runLabels(run);
  const splits = labelledSplits(run);
  const rows = splits[e.split];
  const examples = encodeExamples(e.tokenizer, special, rows, labels, run.model.maxLength);
  const m = await evaluateClassifierRun(e.runner, examples, labels, batchOptions(run, special));
  e.writeReport?.(`confusion-${e.split}.json`, {
    labels,
    rows: 'expected',
    columns: 'predicted',
    confusion: m.confusion,
  });
  return {
    loss: m.loss,
    accuracy: m.accuracy,
    macro_f1: m.macroF1,
    texts: m.texts,
    ...naiveBayesBaseline(splits.train, rows),
  };
}

export const classifyTraining: TrainingSpec = {
  runTask: 'classify',
  fineTunes: true,
  corpora: CLASSIFICATION_CORPUS_NAMES,
  maxDataFiles: 1,
  dataDescription: 'one labelled file: TSV (text<TAB>label) or JSON Lines ({"text", "label"})',
  sessions: { maxSessions: 12, memoryArena: true },
  // The tokenizer comes from --init; a run without one is refused in prepare.
  tokenizerTexts: async (run) => labelledSplits(run).train.map((t) => t.text),
  async resolve(run) {
    return { ...run, labels: labelNames(labelledSplits(run), run.dataFiles[0] ?? run.corpus) };
  },
  prepare: prepareClassify,
  lossGraph: (config, run) => classifier(config, run, 'loss', false),
  evaluateSplit,
  async writeTestSplit(run, base) {
    const rows = labelledSplits(run).test;
    mkdirSync(dirname(base), { recursive: true });
    writeFileSync(
      `${base}.jsonl`,
      rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n',
    );
    return `${base}.jsonl`;
  },
};
