/**
 * A fine-tuned classifier's model folder: `onnx/model.onnx` (input_ids, attention_mask → logits [batch, labels])
 * and config.json as RobertaForSequenceClassification with the run's labels (`id2label`, `label2id`), so that
 * transformers.js's text-classification pipeline and TLC's server name the classes alike.
 */
import { robertaConfig } from '../../model-folder/hf-config.js';
import { buildSequenceClassifier } from '../../models/classifier.js';
import type { TransformerConfig } from '../../models/config.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { Rng } from '../../util/rng.js';
import type { ExportSpec } from '../spec.js';
import { runLabels } from './train.js';

const logits = (config: TransformerConfig, run: RunConfig) =>
  buildSequenceClassifier(config, {
    rng: Rng.seeded(0),
    labels: runLabels(run).length,
    head: 'logits',
    dropout: false,
  });

export const classifyExport: ExportSpec = {
  family: 'roberta',
  graphs: (config, bake, run) => [['model.onnx', bake(logits(config, run).model)]],
  params: (config, run) => logits(config, run).params,
  hfFiles: (config, special, run) => {
    const labels = runLabels(run);
    return {
      'config.json': {
        ...robertaConfig(config, special),
        architectures: ['RobertaForSequenceClassification'],
        id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
        problem_type: 'single_label_classification',
        classifier_dropout: null,
      },
    };
  },
};
