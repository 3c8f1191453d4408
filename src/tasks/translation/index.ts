/** The translation task: Marian-style encoder-decoders with a key/value cache. */
import type { TaskSpec } from '../spec.js';
import { translationServing } from './serve.js';
import { translationWorker } from './worker.js';

export const translation: TaskSpec<'translation'> = {
  name: 'translation',
  worker: translationWorker,
  serving: translationServing,
};
