/**
 * What `tlc bench` times per task, as the server runs it (a registry table keyed by task):
 *   - fill-mask: the serving graph (top-k inside ONNX Runtime, the head on the masked rows only) on a batch of
 *     `sequence`-token inputs with one mask each, top-5;
 *   - translation: the encoder on a batch of `sequence`-token sources, then `sequence` decoder steps with the
 *     key/value cache (arg-max tokens, the batch kept whole so every variant does the same work whatever it
 *     generates).
 * Inputs are random token ids above the special ones, drawn with a fixed seed: latency does not depend on the
 * words, and every variant gets the same ones.
 */
import { join } from 'node:path';
import type { ModelTask, TlcModelJson, VariantEntry } from '../model-folder/tlc-json.js';
import { encodeModel, loadModel } from '../onnx/io.js';
import {
  createSessionOn,
  type Device,
  type OrtFeeds,
  type OrtSession,
  ortTensor,
  runSession,
} from '../ort/session.js';
import { FILL_MASK_INPUTS, fillMaskServingGraph } from '../tasks/fill-mask/fill-mask-graph.js';
import { DecoderCache } from '../tasks/translation/decoder-cache.js';
import { encodeSources } from '../tasks/translation/encode-sources.js';
import { argmax } from '../tasks/translation/greedy-search.js';
import { readTranslationModel, variantFiles } from '../tasks/translation/translation-model.js';
import { Rng } from '../util/rng.js';

export interface ProbeOptions {
  readonly threads: number;
  readonly device: Device;
  /** Session options beyond threads and device (ORT `extra` config entries). */
  readonly extra?: Record<string, unknown>;
}

/** One variant's sessions, ready to time a batch shape. */
export interface Probe {
  /** The execution provider that accepted the variant. */
  readonly provider: string;
  /** One timed unit of work for `batch` inputs of `sequence` tokens. */
  workload(batch: number, sequence: number): () => Promise<void>;
  release(): Promise<void>;
}

/** Token ids drawn in [first, vocab): above the special tokens, below the vocabulary size. */
function randomIds(rng: Rng, n: number, first: number, vocab: number): number[] {
  return Array.from({ length: n }, () => first + rng.int(vocab - first));
}

/** Special tokens take the first ids of TLC's vocabularies (and of most BPE vocabularies). */
const FIRST_WORD_ID = 5;

async function fillMaskProbe(folder: string, tlc: TlcModelJson, variant: VariantEntry, o: ProbeOptions) {
  const bytes = encodeModel(fillMaskServingGraph(loadModel(join(folder, variant.files[0]!))));
  const { session, provider } = await createSessionOn(bytes, {
    threads: o.threads,
    device: o.device,
    source: variant.files[0]!,
    ...(o.extra && { extra: o.extra }),
  });
  const vocab = tlc.architecture.vocabSize;
  return {
    provider,
    workload(batch: number, sequence: number) {
      const rng = Rng.seeded(batch * 1000 + sequence);
      const ids = BigInt64Array.from(randomIds(rng, batch * sequence, FIRST_WORD_ID, vocab), BigInt);
      const rows = BigInt64Array.from({ length: batch }, (_, b) => BigInt(b * sequence + (sequence >> 1)));
      const feeds: OrtFeeds = {
        input_ids: ortTensor('int64', ids, [batch, sequence]),
        attention_mask: ortTensor('int64', new BigInt64Array(batch * sequence).fill(1n), [batch, sequence]),
        [FILL_MASK_INPUTS.rows]: ortTensor('int64', rows, [batch]),
        [FILL_MASK_INPUTS.topK]: ortTensor('int64', BigInt64Array.of(5n), [1]),
      };
      return async () => {
        await runSession(session, feeds);
      };
    },
    release: () => session.release(),
  } satisfies Probe;
}

async function translationProbe(folder: string, tlc: TlcModelJson, variant: VariantEntry, o: ProbeOptions) {
  const info = readTranslationModel(folder, variant.name);
  const files = variantFiles(variant.files, `${folder} variant ${variant.name}`);
  const open = (file: string) =>
    createSessionOn(join(folder, file), {
      threads: o.threads,
      device: o.device,
      source: file,
      ...(o.extra && { extra: o.extra }),
    });
  const encoder = await open(files.encoder);
  const decoder = await open(files.decoder);
  const decoderWithPast = await open(files.decoderWithPast);
  const sessions: OrtSession[] = [encoder.session, decoder.session, decoderWithPast.session];
  const vocab = tlc.architecture.vocabSize;
  return {
    provider: encoder.provider,
    workload(batch: number, sequence: number) {
      const rng = Rng.seeded(batch * 1000 + sequence);
      const length = Math.min(sequence, info.maxLength);
      const sources = Array.from({ length: batch }, () => {
        const ids = randomIds(rng, length, FIRST_WORD_ID, vocab);
        ids[length - 1] = info.eos;
        return Int32Array.from(ids);
      });
      const steps = Math.min(sequence, info.maxLength);
      return async () => {
        const encoded = await encodeSources(encoder.session, sources, info.pad);
        const pair = { decoder: decoder.session, decoderWithPast: decoderWithPast.session };
        const { cache, logits: first } = await DecoderCache.start(pair, encoded, info.decoderStart);
        let logits = first;
        const origins = Array.from({ length: batch }, (_, r) => r);
        for (let step = 1; step < steps; step++) {
          const tokens = origins.map((r) =>
            argmax(logits.data.subarray(r * logits.vocab, (r + 1) * logits.vocab)),
          );
          logits = await cache.step(tokens, origins);
        }
      };
    },
    release: async () => {
      for (const s of sessions) await s.release();
    },
  } satisfies Probe;
}

/** The probe of each task. */
export const PROBES: Readonly<
  Record<
    ModelTask,
    (folder: string, tlc: TlcModelJson, variant: VariantEntry, o: ProbeOptions) => Promise<Probe>
  >
> = {
  'fill-mask': fillMaskProbe,
  translation: translationProbe,
};
