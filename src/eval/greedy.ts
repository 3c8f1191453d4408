/**
 * Greedy decoding for evaluation with two graphs: the encoder (run once per batch) and a decoder that returns
 * the arg-max next token (run once per generated position, on the whole prefix: no key/value cache here; the
 * exported serving graphs have one).
 */
import { type OrtSession, ortTensor, runSession } from '../ort/session.js';

export interface GreedyOptions {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly maxNewTokens: number;
  /** Sources per batch (default 32). */
  readonly batchSize?: number;
}

/** Translates token-id sources (already ending in </s>); returns the generated ids without <s> and </s>. */
export async function greedyDecode(
  encoder: OrtSession,
  decoder: OrtSession,
  sources: readonly Int32Array[],
  o: GreedyOptions,
): Promise<Int32Array[]> {
  const out: Int32Array[] = new Array(sources.length);
  const order = [...sources.keys()].sort((a, b) => sources[a]!.length - sources[b]!.length);
  const size = o.batchSize ?? 32;
  for (let start = 0; start < order.length; start += size) {
    const idx = order.slice(start, start + size);
    const n = idx.length;
    const s = Math.max(...idx.map((i) => sources[i]!.length));
    const ids = new BigInt64Array(n * s).fill(BigInt(o.pad));
    const mask = new BigInt64Array(n * s);
    idx.forEach((i, k) => {
      sources[i]!.forEach((v, j) => {
        ids[k * s + j] = BigInt(v);
        mask[k * s + j] = 1n;
      });
    });
    const attention = ortTensor('int64', mask, [n, s]);
    const enc = await runSession(encoder, {
      input_ids: ortTensor('int64', ids, [n, s]),
      attention_mask: attention,
    });
    const hidden = enc.encoder_hidden_states!;
    const generated: number[][] = idx.map(() => []);
    const done = new Array<boolean>(n).fill(false);
    let prefix: number[][] = idx.map(() => [o.bos]);
    for (let step = 0; step < o.maxNewTokens && done.some((d) => !d); step++) {
      const t = prefix[0]!.length;
      const dec = BigInt64Array.from(prefix.flat(), (v) => BigInt(v));
      const next = (
        await runSession(decoder, {
          attention_mask: attention,
          encoder_hidden_states: hidden,
          decoder_input_ids: ortTensor('int64', dec, [n, t]),
        })
      ).next_token!.data as BigInt64Array;
      prefix = prefix.map((p, k) => {
        const token = done[k] ? o.pad : Number(next[k]);
        if (!done[k]) {
          if (token === o.eos) done[k] = true;
          else generated[k]!.push(token);
        }
        return [...p, token];
      });
    }
    idx.forEach((i, k) => {
      out[i] = Int32Array.from(generated[k]!);
    });
  }
  return out;
}
