/**
 * Translation batches on the main thread's side: items that share generation settings go to a worker
 * together (the worker runs the encoder once and the cached decoder once per generated token).
 */
import type { WorkerCall } from '../spec.js';
import type { GenerationIds } from './translation-model.js';
import type { TranslateRequest, TranslateResult } from './worker.js';

export interface TranslateItem {
  /** Source token ids, ending in </s>. */
  readonly source: Int32Array;
  readonly numBeams: number;
  readonly maxNewTokens: number;
  readonly lengthPenalty: number;
}

export async function runTranslateBatch(
  call: WorkerCall,
  items: readonly TranslateItem[],
  ids: GenerationIds,
  /** The batcher's give-up flag of each item (shared with the worker), when it gives any. */
  cancelled?: Int32Array,
): Promise<Int32Array[]> {
  const outputs: Int32Array[] = new Array(items.length);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = `${item.numBeams}/${item.maxNewTokens}/${item.lengthPenalty}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  });
  for (const members of groups.values()) {
    const first = items[members[0]!]!;
    const request: TranslateRequest = {
      sources: members.map((i) => items[i]!.source),
      bos: ids.bos,
      eos: ids.eos,
      pad: ids.pad,
      decoderStart: ids.decoderStart,
      maxNewTokens: first.maxNewTokens,
      numBeams: first.numBeams,
      lengthPenalty: first.lengthPenalty,
      ...(cancelled && { cancelled: { flags: cancelled, slots: members } }),
    };
    // The worker answers a translate request with this task's result (translationWorker.run).
    const result = (await call(request)) as TranslateResult;
    result.outputs.forEach((o, k) => {
      outputs[members[k]!] = o;
    });
  }
  return outputs;
}
