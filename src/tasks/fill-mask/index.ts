/** The fill-mask task: RoBERTa-style masked-language models (trained with `tlc train --task mlm`). */
import { join } from 'node:path';
import type { TaskSpec } from '../spec.js';
import { fillMaskAbout } from './about.js';
import { fillMaskExport } from './export.js';
import { fillMaskProbe } from './probe.js';
import { evaluateFillMask } from './score.js';
import { fillMaskServing } from './serve.js';
import { mlmTraining } from './train.js';
import { fillMaskWorker } from './worker.js';

export const fillMask: TaskSpec<'fill-mask'> = {
  name: 'fill-mask',
  worker: fillMaskWorker,
  serving: fillMaskServing,
  scoring: {
    metric: fillMaskAbout.metrics[0],
    dataDescription: 'a text file (MLM accuracy of masked tokens)',
    sampleLength: (maxLength, asked) => Math.min(asked, maxLength || asked),
    score: (folder, files, evalFile, o) =>
      evaluateFillMask(join(folder, files[0]!), folder, evalFile, o.threads, {
        sequenceLength: o.sequenceLength,
        ...(o.maxTokens !== undefined && { maxTokens: o.maxTokens }),
      }),
  },
  training: mlmTraining,
  export: fillMaskExport,
  bench: { lengths: [32, 128], probe: fillMaskProbe },
};
