/**
 * Beam search with a key/value cache, batched over sources (rows are sources × live beams) and following
 * Hugging Face transformers' `_beam_search` (generation/utils.py) step for step:
 * - each step ranks the 2·numBeams best continuations (running log-probability + log-softmax) of a source's
 *   beams; the first numBeams of them that are not </s> run on, and the caches are reordered by beam origin;
 * - a continuation with </s> among the first numBeams joins the source's finished hypotheses with score
 *   sum(log p) / length ** lengthPenalty, where length counts the generated tokens and </s> (HF's
 *   `cur_len + 1 - decoder_prompt_len`); at the token limit the first numBeams continuations all finish;
 * - a source stops when it holds numBeams finished hypotheses and the worst of them scores at least the best
 *   live beam's log-probability divided by the current length ** lengthPenalty (HF's default
 *   `early_stopping=False` heuristic); it then leaves the batch;
 * - the first step expands only the start token (HF starts beams 1… at -1e9 for the same effect).
 * The result of a source is its best finished hypothesis, without </s>. Ties go to the lower beam, then the
 * lower token id.
 */
import type { DecoderCache, StepLogits } from './decoder-cache.js';

export interface BeamOptions {
  readonly eos: number;
  readonly maxNewTokens: number;
  readonly numBeams: number;
  /** Exponent of the length that divides a finished hypothesis's log-probability (HF semantics). */
  readonly lengthPenalty: number;
  /** Sources whose request was given up (timed out): they stop at the next step, answered with what they hold. */
  readonly stopped?: (source: number) => boolean;
}

interface Beam {
  readonly tokens: readonly number[];
  /** Sum of the log-probabilities of the tokens. */
  readonly score: number;
  /** The cache row holding this beam. */
  row: number;
}

interface Finished {
  readonly tokens: readonly number[];
  /** Length-normalised score. */
  readonly score: number;
}

interface Candidate {
  readonly beam: number;
  readonly token: number;
  readonly score: number;
}

interface SourceState {
  beams: Beam[];
  finished: Finished[];
  done: boolean;
}

/** The `k` best continuations of `beams` by running score + log-softmax, best first (earlier on a tie). */
export function topContinuations(
  logits: StepLogits,
  beams: readonly { readonly score: number; readonly row: number }[],
  k: number,
): Candidate[] {
  const top: Candidate[] = [];
  const { data, vocab } = logits;
  beams.forEach((beam, b) => {
    const row = data.subarray(beam.row * vocab, (beam.row + 1) * vocab);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const offset = beam.score - max - Math.log(sum);
    for (let token = 0; token < vocab; token++) {
      const score = row[token]! + offset;
      if (!(score > Number.NEGATIVE_INFINITY)) continue; // NaN and -Infinity never rank
      if (top.length === k && score <= top[k - 1]!.score) continue;
      let at = top.length;
      while (at > 0 && top[at - 1]!.score < score) at--;
      top.splice(at, 0, { beam: b, token, score });
      if (top.length > k) top.pop();
    }
  });
  return top;
}

/** Keeps the `k` best finished hypotheses, earlier ones first on a tie. */
function keepBest(finished: readonly Finished[], added: readonly Finished[], k: number): Finished[] {
  return [...finished, ...added].sort((a, b) => b.score - a.score).slice(0, k);
}

/** Continues `cache` (one row per source, fresh from its first step) with beam search. */
export async function beamSearch(
  cache: DecoderCache,
  first: StepLogits,
  o: BeamOptions,
): Promise<Int32Array[]> {
  const k = o.numBeams;
  const states: SourceState[] = Array.from({ length: cache.rows }, (_, r) => ({
    beams: [{ tokens: [], score: 0, row: r }],
    finished: [],
    done: false,
  }));
  let logits = first;
  for (let step = 0; step < o.maxNewTokens; step++) {
    const length = step + 1;
    const norm = length ** o.lengthPenalty;
    const last = length === o.maxNewTokens;
    const tokens: number[] = [];
    const origins: number[] = [];
    for (const [source, state] of states.entries()) {
      if (state.done) continue;
      if (o.stopped?.(source) === true) {
        state.done = true;
        continue;
      }
      const candidates = topContinuations(logits, state.beams, 2 * k);
      const added: Finished[] = [];
      const running: Beam[] = [];
      candidates.forEach((c, rank) => {
        const beam = state.beams[c.beam]!;
        const isEos = c.token === o.eos;
        if ((isEos || last) && rank < k)
          added.push({ tokens: isEos ? beam.tokens : [...beam.tokens, c.token], score: c.score / norm });
        if (!isEos && running.length < k)
          running.push({ tokens: [...beam.tokens, c.token], score: c.score, row: beam.row });
      });
      state.finished = keepBest(state.finished, added, k);
      const best = running[0];
      state.done =
        last ||
        best === undefined ||
        (state.finished.length === k && state.finished[k - 1]!.score >= best.score / norm);
      if (state.done) continue;
      state.beams = running;
      for (const beam of running) {
        tokens.push(beam.tokens[beam.tokens.length - 1]!);
        origins.push(beam.row);
        beam.row = origins.length - 1;
      }
    }
    if (tokens.length === 0) break;
    logits = await cache.step(tokens, origins);
  }
  return states.map((s) => Int32Array.from(s.finished[0]?.tokens ?? []));
}
