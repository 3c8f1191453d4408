/** What `tlc bench` times for text classification: the classifier on a batch of `sequence`-token inputs. */
import { join } from 'node:path';
import type { TlcModelJson, VariantEntry } from '../../model-folder/tlc-json.js';
import { runSession } from '../../ort/session.js';

import { encoderFeeds, probeSession } from '../encoder-inputs.js';
import { probeBatch } from '../probe-inputs.js';
import type { Probe, ProbeOptions } from '../spec.js';

export async function classifyProbe(
  folder: string,
  tlc: TlcModelJson,
  variant: VariantEntry,
  o: ProbeOptions,
): Promise<Probe> {
  const { session, provider } = await probeSession(join(folder, variant.files[0]!), variant.files[0]!, o);
  const vocab = tlc.architecture.vocabSize;
  return {
    provider,
    workload(batch: number, sequence: number) {
      const { ids, mask } = probeBatch(batch, sequence, vocab);
      const feeds = encoderFeeds(session, ids, mask, [batch, sequence]);
      return async () => {
        await runSession(session, feeds);
      };
    },
    release: () => session.release(),
  } satisfies Probe;
}
