/** The fill-mask task: RoBERTa-style masked-language models (trained with `tlc train --task mlm`). */
import type { TaskSpec } from '../spec.js';
import { fillMaskServing } from './serve.js';
import { fillMaskWorker } from './worker.js';

export const fillMask: TaskSpec<'fill-mask'> = {
  name: 'fill-mask',
  worker: fillMaskWorker,
  serving: fillMaskServing,
};
