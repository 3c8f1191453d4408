/**
 * Fill-mask batches on the main thread's side: pads the token ids of a batch, lists the masked rows, and
 * splits the worker's top-k back per item. Tokenizing and formatting stay with the HTTP route.
 */
import { TlcError } from '../../errors/index.js';
import { padBatch } from '../encoder-inputs.js';
import type { WorkerCall } from '../spec.js';
import type { FillMaskRequest, FillMaskResult } from './worker.js';

export interface FillMaskItem {
  /** Token ids with special tokens, containing at least one mask id at `maskPositions`. */
  readonly ids: Int32Array;
  readonly maskPositions?: readonly number[];
  readonly topK: number;
}

/** Per masked position of the item: candidate ids and probabilities, best first. */
export type FillMaskOutput = readonly {
  readonly ids: readonly number[];
  readonly scores: readonly number[];
}[];

/** Positions of `maskId` in `ids`. */
export function maskPositions(ids: ArrayLike<number>, maskId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === maskId) out.push(i);
  return out;
}

export async function runFillMaskBatch(
  call: WorkerCall,
  items: readonly FillMaskItem[],
  padId: number,
): Promise<FillMaskOutput[]> {
  const { ids, mask, dims } = padBatch(
    items.map((i) => i.ids),
    padId,
  );
  const s = dims[1];
  const rows: bigint[] = [];
  const counts: number[] = [];
  const topK = Math.max(...items.map((i) => i.topK));
  items.forEach((item, k) => {
    const positions = item.maskPositions ?? [];
    if (positions.length === 0) throw new TlcError('INPUT_INVALID', 'an input has no mask token');
    for (const p of positions) rows.push(BigInt(k * s + p));
    counts.push(positions.length);
  });
  const request: FillMaskRequest = { ids, mask, dims, rows: BigInt64Array.from(rows), topK };
  // The worker answers a fill-mask request with this task's result (fillMaskWorker.run).
  const r = (await call(request)) as FillMaskResult;
  const outputs: FillMaskOutput[] = [];
  let row = 0;
  items.forEach((item, k) => {
    const perMask = [];
    for (let m = 0; m < counts[k]!; m++, row++) {
      const n = Math.min(item.topK, r.k);
      perMask.push({
        ids: Array.from(r.ids.subarray(row * r.k, row * r.k + n), Number),
        scores: Array.from(r.scores.subarray(row * r.k, row * r.k + n)),
      });
    }
    outputs.push(perMask);
  });
  return outputs;
}
