/**
 * What `tlc bench` times for fill-mask: the serving graph (top-k inside ONNX Runtime, the head on the masked rows
 * only) on a batch of `sequence`-token inputs with one mask each, top-5.
 */
import { join } from 'node:path';
import type { TlcModelJson, VariantEntry } from '../../model-folder/tlc-json.js';
import { encodeModel, loadModel } from '../../onnx/io.js';
import { ortTensor, runSession } from '../../ort/session.js';

import { encoderFeeds, probeSession } from '../encoder-inputs.js';
import { probeBatch } from '../probe-inputs.js';
import type { Probe, ProbeOptions } from '../spec.js';
import { FILL_MASK_INPUTS, fillMaskServingGraph } from './fill-mask-graph.js';

export async function fillMaskProbe(
  folder: string,
  tlc: TlcModelJson,
  variant: VariantEntry,
  o: ProbeOptions,
): Promise<Probe> {
  const bytes = encodeModel(fillMaskServingGraph(loadModel(join(folder, variant.files[0]!))));
  const { session, provider } = await probeSession(bytes, variant.files[0]!, o);
  const vocab = tlc.architecture.vocabSize;
  return {
    provider,
    workload(batch: number, sequence: number) {
      const { ids, mask } = probeBatch(batch, sequence, vocab);
      const rows = BigInt64Array.from({ length: batch }, (_, b) => BigInt(b * sequence + (sequence >> 1)));
      const feeds = encoderFeeds(session, ids, mask, [batch, sequence], {
        [FILL_MASK_INPUTS.rows]: ortTensor('int64', rows, [batch]),
        [FILL_MASK_INPUTS.topK]: ortTensor('int64', BigInt64Array.of(5n), [1]),
      });
      return async () => {
        await runSession(session, feeds);
      };
    },
    release: () => session.release(),
  } satisfies Probe;
}
