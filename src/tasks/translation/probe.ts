/**
 * What `tlc bench` times for translation: the encoder on a batch of `sequence`-token sources, then `sequence`
 * decoder steps with the key/value cache (arg-max tokens, the batch kept whole so every variant does the same
 * work whatever it generates).
 */
import { join } from 'node:path';
import type { TlcModelJson, VariantEntry } from '../../model-folder/tlc-json.js';
import { createSessionOn } from '../../ort/session.js';
import { Rng } from '../../util/rng.js';
import { FIRST_WORD_ID, randomIds } from '../probe-inputs.js';
import type { Probe, ProbeOptions } from '../spec.js';
import { DecoderCache } from './decoder-cache.js';
import { openTranslation } from './decoder-sessions.js';
import { encodeSources } from './encode-sources.js';
import { argmax } from './greedy-search.js';
import { graphList, readTranslationModel, variantFiles } from './translation-model.js';

export async function translationProbe(
  folder: string,
  tlc: TlcModelJson,
  variant: VariantEntry,
  o: ProbeOptions,
): Promise<Probe> {
  const info = readTranslationModel(folder, variant.name);
  const files = variantFiles(variant.files, `${folder} variant ${variant.name}`);
  const open = (file: string) =>
    createSessionOn(join(folder, file), {
      threads: o.threads,
      device: o.device,
      source: file,
      ...(o.extra && { extra: o.extra }),
    });
  let provider = 'cpu';
  const { sessions, opened } = await openTranslation(graphList(files), async (file) => {
    const { session, provider: p } = await open(file);
    provider = p;
    return session;
  });
  const vocab = tlc.architecture.vocabSize;
  return {
    provider,
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
        const encoded = await encodeSources(sessions.encoder, sources, info.pad);
        const { cache, logits: first } = await DecoderCache.start(sessions, encoded, info.decoderStart);
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
      for (const s of opened) await s.release();
    },
  } satisfies Probe;
}
