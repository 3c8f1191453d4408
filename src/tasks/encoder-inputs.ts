/**
 * What every encoder task feeds a graph and how it opens one: token ids, the attention mask where the graph
 * declares one, and the standard inputs a foreign export may add (token_type_ids zeros, position_ids 0..n-1, as
 * Hugging Face pipelines feed them); padding a batch; a variant of one file; a `tlc bench` probe session.
 */
import { TlcError } from '../errors/index.js';
import { createSessionOn, type OrtFeeds, type OrtSession, ortTensor } from '../ort/session.js';
import { withStandardInputs } from '../ort/standard-inputs.js';
import type { ProbeOptions } from './spec.js';

/** Token ids padded with `pad` to the longest item (at least one position): ids, mask (1 on tokens) and [B, S]. */
export function padBatch(
  items: readonly ArrayLike<number>[],
  pad: number,
): { ids: BigInt64Array; mask: BigInt64Array; dims: [number, number] } {
  const b = items.length;
  const s = Math.max(1, ...items.map((i) => i.length));
  const ids = new BigInt64Array(b * s).fill(BigInt(pad));
  const mask = new BigInt64Array(b * s);
  for (const [k, item] of items.entries())
    for (let j = 0; j < item.length; j++) {
      ids[k * s + j] = BigInt(item[j]!);
      mask[k * s + j] = 1n;
    }
  return { ids, mask, dims: [b, s] };
}

/** Feeds for a padded [B, S] batch, plus the task's own `extra` inputs. */
export function encoderFeeds(
  session: Pick<OrtSession, 'inputNames' | 'inputMetadata'>,
  ids: BigInt64Array,
  mask: BigInt64Array,
  dims: readonly number[],
  extra: OrtFeeds = {},
): OrtFeeds {
  return withStandardInputs(session, {
    input_ids: ortTensor('int64', ids, dims),
    ...(session.inputNames.includes('attention_mask') && { attention_mask: ortTensor('int64', mask, dims) }),
    ...extra,
  });
}

/** The variant's one file, or MODEL_INVALID naming how many it lists. */
export function oneFile(files: readonly string[], where: string, task: string): string[] {
  if (files.length !== 1)
    throw new TlcError('MODEL_INVALID', `${where} lists ${files.length} files; a ${task} variant has 1`);
  return [...files];
}

/** A session for `tlc bench` to time (the probe's options: threads, device, extra config). */
export function probeSession(model: string | Uint8Array, source: string, o: ProbeOptions) {
  return createSessionOn(model, {
    threads: o.threads,
    device: o.device,
    source,
    ...(o.extra && { extra: o.extra }),
  });
}
