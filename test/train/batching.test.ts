/** MLM masking statistics and block layout; translation batch layout, budget and determinism. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlmBatcher, makeBlocks, mlmEvalBatches } from '../../src/tasks/fill-mask/batches.js';
import { type TokenPair, TranslationBatcher } from '../../src/tasks/translation/batches.js';
import type { SpecialIds } from '../../src/tokenizer/special-ids.js';
import { Rng } from '../../src/util/rng.js';

const special: SpecialIds = { bos: 0, pad: 1, eos: 2, mask: 4, vocabSize: 1000, firstRegular: 5 };
const ints = (t: { data: unknown }) => Array.from(t.data as BigInt64Array, Number);

function documents(n: number, rng: Rng): Int32Array[] {
  return Array.from({ length: n }, () =>
    Int32Array.from({ length: 20 + rng.int(200) }, () => 5 + rng.int(995)),
  );
}

describe('MLM batches', () => {
  const docs = documents(60, Rng.seeded(1));
  const blocks = makeBlocks(docs, 64, special);

  it('cut documents into <s> … </s> blocks joined by </s>, losing no token', () => {
    assert.ok(blocks.every((b) => b.length <= 64 && b[0] === special.bos && b[b.length - 1] === special.eos));
    const inner = blocks.flatMap((b) => [...b.subarray(1, -1)]).filter((id) => id !== special.eos);
    assert.deepEqual(
      inner,
      docs.flatMap((d) => [...d]),
    );
  });

  it('cut about one block in ten short when asked (BERT short_seq_prob), still losing no token', () => {
    const mixed = makeBlocks(docs, 64, special, { shortProbability: 0.1, seed: 5 });
    const inner = mixed.flatMap((b) => [...b.subarray(1, -1)]).filter((id) => id !== special.eos);
    assert.deepEqual(
      inner,
      docs.flatMap((d) => [...d]),
    );
    // Full blocks are 64 long except at document ends; short ones end early in the middle of a document.
    const fullShare = blocks.filter((b) => b.length === 64).length / blocks.length;
    const mixedShare = mixed.filter((b) => b.length === 64).length / mixed.length;
    assert.ok(fullShare - mixedShare > 0.05 && fullShare - mixedShare < 0.2, `${fullShare} → ${mixedShare}`);
    assert.deepEqual(
      makeBlocks(docs, 64, special, { shortProbability: 0.1, seed: 5 }),
      mixed,
      'deterministic',
    );
  });

  it('mask 15% of real tokens: 80% <mask>, 10% random, 10% unchanged; never a special token', () => {
    const batcher = new MlmBatcher(blocks, { sequenceLength: 64, batchSize: 8, special, seed: 3 });
    let real = 0;
    let chosen = 0;
    let masked = 0;
    let kept = 0;
    for (let step = 1; step <= 200; step++) {
      const b = batcher.batch(step);
      const ids = ints(b.inputs.input_ids!);
      const attention = ints(b.inputs.attention_mask!);
      const positions = ints(b.inputs.mlm_positions!);
      const labels = ints(b.inputs.mlm_labels!);
      real += ids.filter(
        (id, i) => attention[i] === 1 && (id >= special.firstRegular || positions.includes(i)),
      ).length;
      chosen += positions.length;
      positions.forEach((p, k) => {
        assert.ok(labels[k]! >= special.firstRegular, 'labels are real tokens');
        if (ids[p] === special.mask) masked += 1;
        else if (ids[p] === labels[k]) kept += 1;
      });
    }
    const random = chosen - masked - kept;
    assert.ok(Math.abs(chosen / real - 0.15) < 0.005, `chosen ${chosen / real}`);
    assert.ok(Math.abs(masked / chosen - 0.8) < 0.01, `masked ${masked / chosen}`);
    // A random replacement equals the original 1 time in 995, so "kept" is 10% plus a hair.
    assert.ok(Math.abs(kept / chosen - 0.1) < 0.01, `kept ${kept / chosen}`);
    assert.ok(Math.abs(random / chosen - 0.1) < 0.01, `random ${random / chosen}`);
  });

  it('are deterministic per step, re-masked every step, and reshuffled every epoch', () => {
    const a = new MlmBatcher(blocks, { sequenceLength: 64, batchSize: 4, special, seed: 5 });
    const b = new MlmBatcher(blocks, { sequenceLength: 64, batchSize: 4, special, seed: 5 });
    assert.deepEqual(ints(a.batch(7).inputs.input_ids!), ints(b.batch(7).inputs.input_ids!));
    assert.notDeepEqual(ints(a.batch(7).inputs.mlm_positions!), ints(a.batch(8).inputs.mlm_positions!));
    const perEpoch = a.batchesPerEpoch;
    assert.notDeepEqual(ints(a.batch(1).inputs.mlm_labels!), ints(a.batch(1 + perEpoch).inputs.mlm_labels!));
    const evalA = mlmEvalBatches(blocks, { sequenceLength: 64, batchSize: 16, special, seed: 5 });
    const evalB = mlmEvalBatches(blocks, { sequenceLength: 64, batchSize: 16, special, seed: 5 });
    assert.deepEqual(ints(evalA[0]!.inputs.mlm_positions!), ints(evalB[0]!.inputs.mlm_positions!));
    assert.equal(
      evalA.reduce((s, b) => s + b.dims.batch!, 0),
      blocks.length,
    );
  });
});

describe('translation batches', () => {
  const rng = Rng.seeded(2);
  const pairs: TokenPair[] = Array.from({ length: 300 }, () => ({
    source: Int32Array.from({ length: 3 + rng.int(40) }, () => 5 + rng.int(900)),
    target: Int32Array.from({ length: 3 + rng.int(40) }, () => 5 + rng.int(900)),
  }));
  const options = { batchTokens: 512, maxLength: 32, special, seed: 7 };

  it('lay out source … </s>, <s> … as decoder input and … </s> as labels, one shape per length bucket', () => {
    const batcher = new TranslationBatcher(pairs, options);
    let seen = 0;
    const shapes = new Set<string>();
    for (let step = 1; step <= batcher.batchesPerEpoch; step++) {
      const b = batcher.batch(step);
      const {
        batch: n,
        sequence: s,
        target: t,
      } = b.dims as { batch: number; sequence: number; target: number };
      assert.equal(s % 16, 0);
      assert.equal(s, t, 'source and target share the bucket length');
      assert.ok(s * n <= options.batchTokens, 'within the token budget');
      shapes.add(`${n}x${s}`);
      const dec = ints(b.inputs.decoder_input_ids!);
      const labels = ints(b.inputs.target_labels!);
      const positions = ints(b.inputs.target_positions!);
      const real = new Set(positions.map((p) => Math.floor(p / t)));
      for (let k = 0; k < n; k++)
        assert.equal(dec[k * t], real.has(k) ? special.bos : special.pad, 'empty rows are all padding');
      // Each sequence's last label is </s>; labels are the decoder inputs shifted left.
      for (let i = 0; i < positions.length; i++) {
        const p = positions[i]!;
        const next = positions[i + 1];
        if (next === undefined || Math.floor(next / t) !== Math.floor(p / t))
          assert.equal(labels[i], special.eos);
        else assert.equal(labels[i], dec[p + 1]);
      }
      seen += new Set(positions.map((p) => Math.floor(p / t))).size;
    }
    assert.equal(
      seen,
      pairs.length,
      'one epoch covers every pair once (empty rows pad the last batch of a bucket)',
    );
    assert.equal(shapes.size, 2, 'lengths up to 32 make two buckets, 16 and 32, each with one shape');
  });

  it('truncate to the maximum length and are deterministic per step', () => {
    const a = new TranslationBatcher(pairs, options);
    const b = new TranslationBatcher(pairs, options);
    assert.deepEqual(ints(a.batch(3).inputs.input_ids!), ints(b.batch(3).inputs.input_ids!));
    for (let step = 1; step <= a.batchesPerEpoch; step++) {
      assert.ok((a.batch(step).dims.sequence ?? 0) <= 32 && (a.batch(step).dims.target ?? 0) <= 32);
    }
  });
});
