/**
 * Cached translation on a tiny trained and exported model: greedy search gives the ids of the training-time,
 * cache-free greedy decoder; beam search with one beam is greedy; with four beams every source's result scores
 * at least greedy's under an independent full-sequence rescoring; batching, limits and costs per token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { greedyDecode } from '../../src/eval/greedy.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { withWeights } from '../../src/models/weights.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Tensor } from '../../src/onnx/ir.js';
import { createSession, type OrtSession, ortTensor, runSession } from '../../src/ort/session.js';
import { locateCheckpoint } from '../../src/run-folder/locate.js';
import { modelConfig, readRunConfig } from '../../src/run-folder/run-config.js';
import { gatherRows } from '../../src/tasks/translation/decoder-cache.js';
import {
  beamSearchIds,
  type TranslateOptions,
  type TranslationSessions,
  translateIds,
} from '../../src/tasks/translation/translate.js';
import {
  readTranslationModel,
  type TranslationModelInfo,
} from '../../src/tasks/translation/translation-model.js';
import { encodeWithMerges } from '../../src/tokenizer/encode.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { readTokenizerModel } from '../../src/tokenizer/tokenizer-files.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { syntheticPairs, type TinyTranslation, trainTinyTranslation } from '../helpers/translation.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-translate-'));
let tiny: TinyTranslation;
let info: TranslationModelInfo;
let sessions: TranslationSessions;
let sources: Int32Array[];
let options: TranslateOptions;

before(async () => {
  tiny = await trainTinyTranslation(dir);
  info = readTranslationModel(tiny.model);
  sessions = {
    encoder: await createSession(info.files.encoder),
    decoder: await createSession(info.files.decoders[0]!),
    decoderWithPast: await createSession(info.files.decoders[1]!),
  };
  const model = await readTokenizerModel(join(tiny.model, 'tokenizer.json'));
  // Held-out sentences (another seed), tokenized as training does: source ids, then </s>.
  sources = syntheticPairs(7, 24).map((p) =>
    Int32Array.from([...encodeWithMerges(model, p.source), info.eos]),
  );
  options = { ...info, maxNewTokens: 24 };
});

after(async () => {
  for (const s of Object.values(sessions ?? {})) await (s as OrtSession).release();
  rmSync(dir, { recursive: true, force: true });
});

const lists = (ids: readonly Int32Array[]) => ids.map((a) => Array.from(a));

/** Counts session.run calls. */
function countRuns(session: Pick<OrtSession, 'run'>): { readonly calls: number; restore(): void } {
  const run = session.run.bind(session);
  let calls = 0;
  const counted = ((...args: Parameters<OrtSession['run']>) => {
    calls++;
    return run(...args);
  }) as OrtSession['run'];
  session.run = counted;
  return {
    get calls() {
      return calls;
    },
    restore: () => {
      session.run = run;
    },
  };
}

/**
 * log p(ids, </s> | source) from decoder_model run once on the whole sequence (no cache), divided by
 * (ids + </s>) ** lengthPenalty: the score beam search ranks finished hypotheses by.
 */
async function sequenceScore(source: Int32Array, ids: Int32Array, lengthPenalty = 1): Promise<number> {
  const s = source.length;
  const mask = ortTensor('int64', new BigInt64Array(s).fill(1n), [1, s]);
  const enc = await runSession(sessions.encoder, {
    input_ids: ortTensor('int64', BigInt64Array.from(source, BigInt), [1, s]),
    attention_mask: mask,
  });
  const input = [info.decoderStart, ...ids];
  const out = await runSession(sessions.decoder, {
    input_ids: ortTensor('int64', BigInt64Array.from(input, BigInt), [1, input.length]),
    encoder_attention_mask: mask,
    encoder_hidden_states: enc.last_hidden_state!,
  });
  const logits = out.logits!.data as Float32Array;
  const vocab = out.logits!.dims[2]!;
  const targets = [...ids, info.eos];
  let total = 0;
  targets.forEach((token, t) => {
    const row = Array.from(logits.subarray(t * vocab, (t + 1) * vocab));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    total += row[token]! - lse;
  });
  return total / targets.length ** lengthPenalty;
}

/**
 * Hugging Face's beam search for one source, written plainly without a cache: every step runs decoder_model
 * on the full prefixes of the live beams. The reference for the cached, batched implementation.
 */
async function referenceBeamSearch(
  source: Int32Array,
  numBeams: number,
  lengthPenalty: number,
  maxNewTokens: number,
): Promise<number[]> {
  const s = source.length;
  const mask = ortTensor('int64', new BigInt64Array(s).fill(1n), [1, s]);
  const enc = await runSession(sessions.encoder, {
    input_ids: ortTensor('int64', BigInt64Array.from(source, BigInt), [1, s]),
    attention_mask: mask,
  });
  const hidden = enc.last_hidden_state!;
  let running: { tokens: number[]; score: number }[] = [{ tokens: [], score: 0 }];
  let finished: { tokens: number[]; score: number }[] = [];
  for (let length = 1; length <= maxNewTokens; length++) {
    const n = running.length;
    const input = running.flatMap((b) => [info.decoderStart, ...b.tokens]);
    const hiddenRows = new Float32Array((hidden.data as Float32Array).length * n);
    for (let r = 0; r < n; r++)
      hiddenRows.set(hidden.data as Float32Array, r * (hidden.data as Float32Array).length);
    const out = await runSession(sessions.decoder, {
      input_ids: ortTensor('int64', BigInt64Array.from(input, BigInt), [n, length]),
      encoder_attention_mask: ortTensor('int64', new BigInt64Array(n * s).fill(1n), [n, s]),
      encoder_hidden_states: ortTensor('float32', hiddenRows, [n, s, hidden.dims[2]!]),
    });
    const vocab = out.logits!.dims[2]!;
    const logits = out.logits!.data as Float32Array;
    const all: { beam: number; token: number; score: number }[] = [];
    running.forEach((b, r) => {
      const row = Array.from(logits.subarray(((r + 1) * length - 1) * vocab, (r + 1) * length * vocab));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      row.forEach((v, token) => {
        all.push({ beam: r, token, score: b.score + v - lse });
      });
    });
    const top = all.sort((a, b) => b.score - a.score).slice(0, 2 * numBeams);
    const last = length === maxNewTokens;
    const next: typeof running = [];
    for (const [rank, c] of top.entries()) {
      const tokens = [...running[c.beam]!.tokens, c.token];
      if (c.token === info.eos || last) {
        if (rank < numBeams)
          finished.push({
            tokens: c.token === info.eos ? tokens.slice(0, -1) : tokens,
            score: c.score / length ** lengthPenalty,
          });
      }
      if (c.token !== info.eos && next.length < numBeams) next.push({ tokens, score: c.score });
    }
    finished = finished.sort((a, b) => b.score - a.score).slice(0, numBeams);
    running = next;
    if (last) break;
    if (
      finished.length === numBeams &&
      finished[numBeams - 1]!.score >= running[0]!.score / length ** lengthPenalty
    )
      break;
  }
  return finished[0]!.tokens;
}

describe('translateIds', () => {
  it('greedy with the cache gives exactly the ids of the cache-free training-time decoder', async (ctx) => {
    const run = readRunConfig(tiny.run);
    const { checkpoint } = locateCheckpoint(tiny.run);
    const tokenizer = await readTokenizerModel(join(tiny.run, 'tokenizer.json'));
    const config = modelConfig(run, tokenizer.tokens.length);
    const weights = new Map<string, Tensor['data']>(
      [...readCheckpoint(checkpoint).tensors].map(([name, t]) => [name, t.data]),
    );
    const build = (head: 'encoder' | 'next-token') =>
      encodeModel(
        withWeights(buildSeq2Seq(config, { rng: Rng.seeded(0), head, dropout: false }).model, weights),
      );
    const encoder = await createSession(build('encoder'));
    const decoder = await createSession(build('next-token'));
    try {
      const reference = await greedyDecode(encoder, decoder, sources, {
        bos: info.decoderStart,
        eos: info.eos,
        pad: info.pad,
        maxNewTokens: options.maxNewTokens,
      });
      const ours = await translateIds(sessions, sources, options);
      assert.deepEqual(lists(ours), lists(reference));
      // A trained model translates word for word: the outputs are real sentences, not empty or runaway.
      const hf = await Tokenizer.fromFile(tiny.model);
      const texts = ours.map((ids) => hf.decode(ids, { skipSpecialTokens: true }));
      const expected = syntheticPairs(7, 24).map((p) => p.target);
      const exact = texts.filter((t, i) => t.trim() === expected[i]).length;
      ctx.diagnostic(`${exact} of 24 held-out sentences translated exactly`);
      assert.ok(exact >= 12, `${exact} of 24 exact translations: ${texts.slice(0, 3).join(' | ')}`);
    } finally {
      await encoder.release();
      await decoder.release();
    }
  });

  it('costs one encoder run, one decoder_model run and one decoder_with_past run per further token', async () => {
    const counters = {
      encoder: countRuns(sessions.encoder),
      decoder: countRuns(sessions.decoder),
      decoderWithPast: countRuns(sessions.decoderWithPast),
    };
    let out: Int32Array[];
    try {
      out = await translateIds(sessions, sources, options);
    } finally {
      for (const c of Object.values(counters)) c.restore();
    }
    // Tokens generated by the longest source, </s> included (all end within the limit here).
    const steps = Math.max(...out.map((ids) => ids.length + 1));
    assert.ok(steps < options.maxNewTokens);
    assert.deepEqual(
      {
        encoder: counters.encoder.calls,
        decoder: counters.decoder.calls,
        decoderWithPast: counters.decoderWithPast.calls,
      },
      { encoder: 1, decoder: 1, decoderWithPast: steps - 1 },
    );
  });

  it('translates a padded batch as it translates each source alone, greedy and beam', async () => {
    const mixed = [sources[0]!, sources[5]!, sources[9]!, sources[3]!];
    for (const numBeams of [1, 4]) {
      const batched = await translateIds(sessions, mixed, { ...options, numBeams });
      const alone = [];
      for (const s of mixed) alone.push((await translateIds(sessions, [s], { ...options, numBeams }))[0]!);
      assert.deepEqual(lists(batched), lists(alone), `numBeams ${numBeams}`);
    }
  });

  it('beam search with one beam is greedy search', async () => {
    const greedy = await translateIds(sessions, sources, options);
    const beam1 = await beamSearchIds(sessions, sources, { ...options, numBeams: 1 });
    assert.deepEqual(lists(beam1), lists(greedy));
  });

  it('beam search equals a plain cache-free beam search, source by source', async () => {
    for (const [numBeams, lengthPenalty] of [
      [4, 1],
      [3, 2],
    ] as const) {
      const ours = await translateIds(sessions, sources, { ...options, numBeams, lengthPenalty });
      for (const [i, source] of sources.entries())
        assert.deepEqual(
          Array.from(ours[i]!),
          await referenceBeamSearch(source, numBeams, lengthPenalty, options.maxNewTokens),
          `source ${i}, ${numBeams} beams, length penalty ${lengthPenalty}`,
        );
    }
  });

  for (const lengthPenalty of [1, 0, 2]) {
    it(`with four beams and length penalty ${lengthPenalty}, every result scores at least greedy under full-sequence rescoring`, async (t) => {
      const greedy = await translateIds(sessions, sources, options);
      const beam = await translateIds(sessions, sources, { ...options, numBeams: 4, lengthPenalty });
      let better = 0;
      for (const [i, source] of sources.entries()) {
        assert.ok(beam[i]!.length < options.maxNewTokens, 'ended with </s>');
        const b = await sequenceScore(source, beam[i]!, lengthPenalty);
        const g = await sequenceScore(source, greedy[i]!, lengthPenalty);
        assert.ok(Number.isFinite(b) && b < 0, `score ${b}`);
        assert.ok(b >= g - 1e-4, `source ${i}: beam ${b} < greedy ${g}`);
        if (b > g + 1e-4) better++;
      }
      t.diagnostic(`beam search beat greedy on ${better} of ${sources.length} sources`);
    });
  }

  it('stops at maxNewTokens (the first tokens of the unlimited translation) and at the model length', async () => {
    const full = await translateIds(sessions, sources, options);
    const cut = await translateIds(sessions, sources, { ...options, maxNewTokens: 2 });
    for (const i of sources.keys()) assert.deepEqual(Array.from(cut[i]!), Array.from(full[i]!).slice(0, 2));
    const beamCut = await translateIds(sessions, sources, { ...options, maxNewTokens: 2, numBeams: 3 });
    assert.ok(beamCut.every((ids) => ids.length <= 2));
    // A limit beyond the decoder's positions is capped at maxLength instead of failing in ONNX Runtime.
    const capped = await translateIds(sessions, sources.slice(0, 2), { ...options, maxNewTokens: 1000 });
    assert.deepEqual(lists(capped), lists(full.slice(0, 2)));
    assert.deepEqual(await translateIds(sessions, [], options), []);
    assert.deepEqual(
      lists(await translateIds(sessions, sources.slice(0, 2), { ...options, maxNewTokens: 0 })),
      [[], []],
    );
  });

  it('refuses sources longer than the model and bad settings, with catalog codes', async () => {
    const long = new Int32Array(info.maxLength + 1).fill(5);
    await assert.rejects(translateIds(sessions, [sources[0]!, long], options), {
      code: 'INPUT_TOO_LARGE',
      message: new RegExp(
        `source 1 has ${info.maxLength + 1} tokens; the model takes at most ${info.maxLength}`,
      ),
    });
    await assert.rejects(translateIds(sessions, sources, { ...options, numBeams: 0 }), {
      code: 'CONFIG_INVALID',
      message: /numBeams/,
    });
    await assert.rejects(
      translateIds({ ...sessions, decoderWithPast: sessions.decoder }, sources.slice(0, 1), options),
      { code: 'MODEL_INVALID', message: /past_key_values/ },
    );
  });

  it('reorders cache rows by origin with plain copies', () => {
    const t = ortTensor(
      'float32',
      Float32Array.from({ length: 12 }, (_, i) => i),
      [3, 2, 2],
    );
    const g = gatherRows(t, [2, 0, 0]);
    assert.deepEqual(g.dims, [3, 2, 2]);
    assert.deepEqual(Array.from(g.data as Float32Array), [8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3]);
    // float16 caches (as Uint16Array bits) and int64 masks are copied the same way, keeping their type.
    const half = gatherRows(ortTensor('float16', Uint16Array.of(1, 2, 3, 4), [2, 2]), [1]);
    assert.equal(half.type, 'float16');
    assert.deepEqual(Array.from(half.data as Uint16Array), [3, 4]);
    const ids = gatherRows(ortTensor('int64', BigInt64Array.of(5n, 6n, 7n), [3]), [2, 2, 0]);
    assert.deepEqual(Array.from(ids.data as BigInt64Array), [7n, 7n, 5n]);
  });
});

describe('readTranslationModel', () => {
  it('reads the generation ids, the maximum length and a variant’s three files', () => {
    assert.equal(info.variant, 'fp32');
    assert.equal(info.maxLength, 32);
    assert.deepEqual([info.bos, info.eos, info.pad, info.decoderStart], [0, 2, 1, 0]);
    assert.deepEqual(info.files, {
      encoder: join(tiny.model, 'onnx', 'encoder_model.onnx'),
      decoders: [
        join(tiny.model, 'onnx', 'decoder_model.onnx'),
        join(tiny.model, 'onnx', 'decoder_with_past_model.onnx'),
      ],
    });
    assert.throws(() => readTranslationModel(tiny.model, 'int8'), {
      code: 'MODEL_INVALID',
      message: /no variant "int8" \(has fp32\)/,
    });
  });
});
