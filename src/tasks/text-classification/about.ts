/**
 * The text-classification task's names, detection, metrics and console view (src/tasks/about.ts): classifiers
 * fine-tuned by `tlc train --task classify --init …`, and sequence classifiers brought from elsewhere
 * (`*ForSequenceClassification` exports).
 */
import type { TaskAbout } from '../about.js';

export const textClassificationAbout = {
  name: 'text-classification',
  runTask: 'classify',
  route: 'text-classification',
  detect: {
    architectures: [/ForSequenceClassification$/],
    layout: 'single',
    // A classifier's logits are [batch, labels]: one row per text, never a vocabulary per position.
    graph: (f) =>
      f.layout === 'single' && f.outputs.includes('logits') && f.logitsRank === 2
        ? 'logits of rank 2 ([batch, labels])'
        : undefined,
  },
  metrics: [
    // With labelled --eval-data; without labels, agreement with fp32's label instead.
    { key: 'label_accuracy', label: 'accuracy', points: 100, higherIsBetter: true, digits: 4 },
    { key: 'macro_f1', label: 'macro-F1', points: 100, higherIsBetter: true, digits: 4 },
  ],
  // Fine-tuning: size, positions and LayerNorm placement come from --init; rate, warm-up and dropout measured
  // (docs/training.md, fine-tuning).
  training: { baseLr: 5e-4, positions: 'alibi', warmupSteps: 100, dropout: 0.1 },
  console: {
    example: 'What a wonderful day: everything went well.',
    answer: { kind: 'ranked', label: 'label', score: 'score' },
    parameters: { top_k: 10 },
  },
} as const satisfies TaskAbout;
