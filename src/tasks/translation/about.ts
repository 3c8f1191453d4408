/** The translation task's names, detection, metrics and console view (src/tasks/about.ts). */
import type { TaskAbout } from '../about.js';

export const translationAbout = {
  name: 'translation',
  runTask: 'translation',
  route: 'translate',
  detect: {
    architectures: [/(ForConditionalGeneration|MTModel|ForSeq2SeqLM)$/],
    layout: 'seq2seq',
    graph: (f) => (f.layout === 'seq2seq' ? 'an encoder and a decoder graph' : undefined),
  },
  metrics: [
    { key: 'bleu', label: 'BLEU', points: 1, higherIsBetter: true, digits: 2 },
    { key: 'chrf', label: 'chrF', points: 1, higherIsBetter: true, digits: 2 },
  ],
  training: {
    // What the shipped `enfr-small` trained with; the 256-wide model then gets 7.1e-4 — at 1e-3 it settled twice
    // on a French language model that ignores the source (docs/training.md).
    baseLr: 1e-3,
    // ALiBi biases self-attention only (cross-attention has no position bias), so nothing tells the decoder which
    // source position it attends to. It starts faster on en→fr (validation loss 4.85 against 5.18 at step 238 for
    // 5 + 5 × 256) but does not learn to align: in 26 minutes side by side the 2 + 2 × 128 model's validation loss
    // bottomed out at 3.74 and then rose (BLEU below 1), where learned tables reached 3.27 and BLEU 13
    // (docs/training.md, table D).
    positions: 'learned',
    // The en→fr corpus has 5,629 training pairs, and at dropout 0.1 the 5 + 5 × 256 model memorised it (training
    // loss 3.32, validation flat at 3.78 from step 1,500, one verse for every input). With dropout 0.3 (fairseq's
    // low-resource transformer setting) and 400 warm-up steps, side by side for 105 minutes, it reached
    // validation BLEU 13 by step 2,500 and the 2 + 2 × 128 model 13 by step 8,000 (0.1 / 100: 0.7 and 9.1);
    // docs/training.md has the curves.
    warmupSteps: 400,
    dropout: 0.3,
  },
  console: {
    example: 'Allah is Knowing and Wise.',
    answer: { kind: 'text', field: 'translation_text' },
  },
} as const satisfies TaskAbout;
