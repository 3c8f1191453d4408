/** The fill-mask task's names, detection, metrics and console view (src/tasks/about.ts). */
import type { TaskAbout } from '../about.js';

export const fillMaskAbout = {
  name: 'fill-mask',
  runTask: 'mlm',
  route: 'fill-mask',
  detect: {
    architectures: [/ForMaskedLM$/],
    layout: 'single',
    graph: (f) =>
      f.layout === 'single' && f.outputs.includes('logits') && f.logitsRank !== 2 && !f.causal
        ? 'input_ids → logits without a causal mask'
        : undefined,
  },
  metrics: [
    { key: 'accuracy', label: 'MLM accuracy', points: 100, higherIsBetter: true, digits: 4 },
    { key: 'perplexity', label: 'perplexity', points: 1, higherIsBetter: false, digits: 1 },
  ],
  // MLM: ALiBi; warm-up measured at 100 steps; dropout 0.1 (the shipped MLM pair trained without, as Cramming
  // BERT does).
  training: { baseLr: 2e-3, positions: 'alibi', warmupSteps: 100, dropout: 0.1 },
  console: {
    example: 'The people of the United States have the <mask> to vote.',
    answer: { kind: 'ranked', label: 'token_str', score: 'score' },
  },
} as const satisfies TaskAbout;
