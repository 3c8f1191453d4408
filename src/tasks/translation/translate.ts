/**
 * Translation of token ids with the exported graphs and their key/value cache: the encoder runs once on the
 * padded batch of sources, decoder_model gives the first token, and every further token costs one
 * decoder_with_past step for the whole batch. Pure functions over sessions created elsewhere, so a worker
 * thread that owns the sessions can call them.
 */
import { TlcError } from '../../errors/index.js';
import type { OrtSession } from '../../ort/session.js';
import { beamSearch } from './beam-search.js';
import { DecoderCache } from './decoder-cache.js';
import type { RunnableSession } from './decoder-sessions.js';
import { encodeSources } from './encode-sources.js';
import { greedySearch } from './greedy-search.js';

export interface TranslationSessions {
  /** encoder_model: input_ids, attention_mask → last_hidden_state */
  readonly encoder: OrtSession;
  /** decoder_model: input_ids, encoder_attention_mask, encoder_hidden_states → logits, present.* */
  readonly decoder: RunnableSession;
  /** decoder_with_past_model: input_ids, encoder_attention_mask, past_key_values.* → logits, present.*.decoder.* */
  readonly decoderWithPast: RunnableSession;
}

export interface TranslateOptions {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  /** The decoder's first input token (TLC's models start with <s>). */
  readonly decoderStart: number;
  /** At most this many tokens per source, </s> included; capped at maxLength (the decoder's positions). */
  readonly maxNewTokens: number;
  /** 1 (default): greedy search; more: beam search with this many beams. */
  readonly numBeams?: number;
  /** Beam search only: a finished hypothesis scores log p / length ** lengthPenalty (default 1.0, as HF). */
  readonly lengthPenalty?: number;
  /**
   * The model's maximum sequence length (tlc.json `architecture.maxLength`; readTranslationModel returns it).
   * Longer sources are refused with INPUT_TOO_LARGE and generation stops at this many tokens. Without it
   * neither is checked, and a source or translation beyond the model's positions fails in ONNX Runtime.
   */
  readonly maxLength?: number;
  /**
   * Polled once per generated token: a source for which it says true stops there (its request timed out and
   * nobody waits for the answer), and the batch ends when every source has stopped or finished.
   */
  readonly stopped?: (source: number) => boolean;
}

function check(sources: readonly Int32Array[], o: TranslateOptions): void {
  const positiveInteger = (v: number) => Number.isInteger(v) && v >= 1;
  const bad = (what: string) => {
    throw new TlcError('CONFIG_INVALID', `translation: ${what}`);
  };
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0)
    bad(`maxNewTokens must be an integer ≥ 0, got ${o.maxNewTokens}`);
  if (o.numBeams !== undefined && !positiveInteger(o.numBeams))
    bad(`numBeams must be an integer ≥ 1, got ${o.numBeams}`);
  if (o.lengthPenalty !== undefined && !Number.isFinite(o.lengthPenalty))
    bad(`lengthPenalty must be a finite number, got ${o.lengthPenalty}`);
  if (o.maxLength !== undefined && !positiveInteger(o.maxLength))
    bad(`maxLength must be an integer ≥ 1, got ${o.maxLength}`);
  for (const id of [o.bos, o.eos, o.pad, o.decoderStart])
    if (!Number.isInteger(id) || id < 0) bad(`special token ids must be integers ≥ 0, got ${id}`);
  if (o.maxLength === undefined) return;
  const long = sources.map((s, i) => ({ i, n: s.length })).filter((s) => s.n > o.maxLength!);
  if (long.length > 0) {
    const first = long[0]!;
    throw new TlcError(
      'INPUT_TOO_LARGE',
      `source ${first.i} has ${first.n} tokens; the model takes at most ${o.maxLength}` +
        (long.length > 1 ? ` (${long.length} sources are too long)` : ''),
    );
  }
}

/**
 * Translates token-id sources (each as the encoder reads it, ending in </s>) in one padded batch; returns the
 * generated ids of each source without the start token and </s>. numBeams 1 is greedy search; more is beam
 * search as Hugging Face transformers does it (see beam-search.ts).
 */
export async function translateIds(
  sessions: TranslationSessions,
  sources: readonly Int32Array[],
  options: TranslateOptions,
): Promise<Int32Array[]> {
  return translateWith(sessions, sources, options, (options.numBeams ?? 1) > 1 ? 'beam' : 'greedy');
}

/** translateIds with beam search even for numBeams 1 (which then equals greedy search). */
export async function beamSearchIds(
  sessions: TranslationSessions,
  sources: readonly Int32Array[],
  options: TranslateOptions,
): Promise<Int32Array[]> {
  return translateWith(sessions, sources, options, 'beam');
}

async function translateWith(
  sessions: TranslationSessions,
  sources: readonly Int32Array[],
  options: TranslateOptions,
  search: 'greedy' | 'beam',
): Promise<Int32Array[]> {
  check(sources, options);
  const maxNewTokens = Math.min(options.maxNewTokens, options.maxLength ?? Number.POSITIVE_INFINITY);
  if (sources.length === 0) return [];
  if (maxNewTokens === 0) return sources.map(() => new Int32Array(0));
  const encoded = await encodeSources(sessions.encoder, sources, options.pad);
  const { cache, logits } = await DecoderCache.start(sessions, encoded, options.decoderStart);
  switch (search) {
    case 'greedy':
      return greedySearch(cache, logits, {
        eos: options.eos,
        maxNewTokens,
        ...(options.stopped && { stopped: options.stopped }),
      });
    case 'beam':
      return beamSearch(cache, logits, {
        eos: options.eos,
        maxNewTokens,
        numBeams: options.numBeams ?? 1,
        lengthPenalty: options.lengthPenalty ?? 1,
        ...(options.stopped && { stopped: options.stopped }),
      });
    default: {
      const never: never = search;
      throw new TlcError('CONFIG_INVALID', `unknown search ${String(never)}`);
    }
  }
}
