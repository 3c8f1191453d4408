/**
 * The feature-extraction task: sentence-embedding models (sentence-transformers folders: a `*Model` export with
 * its pooling modules, or a graph that outputs `sentence_embedding`), served as one vector per text, compressed and
 * scored for retrieval against fp32 (mean cosine, recall@10 of fp32's nearest neighbours) on `--eval-data`
 * sentences. TLC serves and compresses them; it does not train them.
 */
import { wholeGraphProbe } from '../probe-inputs.js';
import type { TaskSpec } from '../spec.js';
import { featureExtractionAbout } from './about.js';
import { embeddingExport } from './export.js';
import { evaluateEmbeddings } from './score.js';
import { embedServing } from './serve.js';
import { embedWorker } from './worker.js';

export const featureExtraction: TaskSpec<'feature-extraction'> = {
  name: featureExtractionAbout.name,
  worker: embedWorker,
  serving: embedServing,
  scoring: {
    metric: featureExtractionAbout.metrics[0],
    dataDescription:
      'a text file of sentences, one per line (cosine to fp32 and recall@10 of its neighbours)',
    sampleLength: (maxLength, asked) => Math.min(asked, maxLength || asked),
    score: (folder, files, evalFile, o) =>
      evaluateEmbeddings(folder, files, o.reference ?? files, evalFile, {
        threads: o.threads,
        maxLength: o.maxLength,
      }),
  },
  bench: { lengths: [32, 128], probe: wholeGraphProbe },
  // An MLM run's encoder, mean-pooled and normalized (tlc export --as feature-extraction).
  exportFrom: { runTask: 'mlm', export: embeddingExport },
};
