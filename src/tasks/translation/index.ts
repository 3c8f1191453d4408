/** The translation task: Marian-style encoder-decoders with a key/value cache. */
import type { TaskSpec } from '../spec.js';
import { translationAbout } from './about.js';
import { translationExport } from './export.js';
import { translationProbe } from './probe.js';
import { evaluateTranslation } from './score.js';
import { translationServing } from './serve.js';
import { translationTraining } from './train.js';
import { translationWorker } from './worker.js';

export const translation: TaskSpec<'translation'> = {
  name: 'translation',
  worker: translationWorker,
  serving: translationServing,
  scoring: {
    metric: translationAbout.metrics[0],
    dataDescription: 'a source<TAB>target TSV file (BLEU and chrF of greedy translations)',
    // A decoder with past takes past + new tokens: both must fit the model's positions together.
    sampleLength: (maxLength, asked) => Math.min(asked, Math.floor((maxLength || 2 * asked) / 2)),
    async score(folder, files, evalFile, o) {
      const { bleu, chrf } = await evaluateTranslation(folder, files, evalFile, { threads: o.threads });
      return { bleu, chrf };
    },
  },
  training: translationTraining,
  export: translationExport,
  bench: { lengths: [16, 48], probe: translationProbe },
};
