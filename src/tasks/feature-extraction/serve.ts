/**
 * Feature extraction as served: texts in, one sentence embedding per text out, in the shape of the Hugging Face
 * Inference API's feature-extraction task for sentence-transformers models (one text: its vector; a list: a list
 * of vectors). Pooling comes from the folder (pooling.ts) and runs in the session worker.
 */
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { oneFile } from '../encoder-inputs.js';
import { TRUNCATION } from '../parameters.js';
import type { RequestIo, ServedModel, ServingSpec, TextBody, VariantRunner, WorkerCall } from '../spec.js';
import { featureExtractionAbout } from './about.js';
import { type Pooling, readPooling, writePooling } from './pooling.js';
import { type EmbedResult, embedRequest } from './worker.js';

/** The embedding of each item of a batch, from one worker call. */
async function embedItems(
  call: WorkerCall,
  items: readonly Int32Array[],
  pad: number,
  pooling: Pooling | undefined,
): Promise<Float32Array[]> {
  // The worker answers an embed request with this task's result (embedWorker.run).
  const r = (await call(embedRequest(items, pad, pooling))) as EmbedResult;
  return items.map((_, k) => r.embeddings.slice(k * r.width, (k + 1) * r.width));
}

function embeddingModel(dir: string, tokenizer: Tokenizer, maxLength: number): ServedModel {
  const pooling = readPooling(dir);
  const pad = tokenizer.specialIds.pad ?? 0;
  return {
    maxLength,
    variantFiles: (files, where) => oneFile(files, where, 'feature-extraction'),
    runner(call, makeBatcher): VariantRunner {
      const batcher = makeBatcher<Int32Array, Float32Array>(
        (items) => embedItems(call, items, pad, pooling),
        (item) => item.length,
      );
      const embed = async (texts: readonly string[], io: RequestIo): Promise<number[][]> => {
        const items = io.tokenize(texts, (text) => tokenizer.encode(text));
        const outcomes = await batcher.submitAll(
          items,
          items.map((x) => x.length),
          io.client,
        );
        io.observe(outcomes, batcher.depth);
        return outcomes.map(({ output }) => Array.from(output));
      };
      return {
        async v1(body: TextBody, texts, io) {
          const vectors = await embed(texts, io);
          return Array.isArray(body.inputs) ? vectors : vectors[0];
        },
        async v2(texts, _parameters, io) {
          return (await embed(texts, io)).map((v) => JSON.stringify(v));
        },
        runAlone: (work, cost, client) => batcher.runAlone(work, cost, client),
        async warmUp() {
          // Straight to a worker: a folder whose graph needs a pooling it does not name fails here, at load.
          await embedItems(call, [Int32Array.from(tokenizer.encode('hello world'))], pad, pooling);
        },
        idle: () => batcher.idle(),
      };
    },
  };
}

export const embedServing: ServingSpec = {
  route: featureExtractionAbout.route,
  v2Output: 'embedding',
  parameters: {
    type: 'object',
    properties: { truncation: TRUNCATION },
  },
  open: (dir, tokenizer, maxLength) => embeddingModel(dir, tokenizer, maxLength),
  withPooling: writePooling,
};
