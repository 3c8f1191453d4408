/** Drift, latency percentiles, sample inputs and model statistics used by the compression report. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DriftAccumulator } from '../../../src/compress/validate/drift.js';
import { DEFAULT_LATENCY_ROUNDS, measureVariantLatency } from '../../../src/compress/validate/latency.js';
import { sampleFeeds } from '../../../src/compress/validate/sample-inputs.js';
import { modelStats } from '../../../src/compress/validate/stats.js';
import { GraphBuilder } from '../../../src/onnx/builder.js';
import { DataType } from '../../../src/onnx/dtype.js';
import { float32Tensor } from '../../../src/onnx/tensor.js';
import { createSession } from '../../../src/ort/session.js';
import { percentile } from '../../../src/util/percentile.js';
import { f32 } from '../../helpers/ort.js';

describe('drift', () => {
  it('measures max difference, cosine, top-1 agreement and top-5 containment per position', () => {
    const original = f32([3, 1, 0, 0, 0, 0, /* row 2 */ 0, 0, 1, 2, 3, 4], [2, 6]);
    const same = new DriftAccumulator().add(original, original).result();
    assert.deepEqual(same, {
      maxAbs: 0,
      meanCosine: 1,
      top1Agreement: 1,
      top1InTop5: 1,
      meanKl: 0,
      positions: 2,
    });
    // Row 1: top-1 moves from class 0 to class 1 (still in the top 5); row 2: unchanged but scaled.
    const variant = f32([1, 3, 0, 0, 0, 0, /* row 2 */ 0, 0, 2, 4, 6, 8], [2, 6]);
    const d = new DriftAccumulator().add(original, variant).result();
    assert.equal(d.maxAbs, 4);
    assert.ok(Math.abs(d.meanCosine - (0.6 + 1) / 2) < 1e-6, String(d.meanCosine));
    assert.equal(d.top1Agreement, 0.5);
    assert.equal(d.top1InTop5, 1);
    // KL of the softmaxes, by hand in float64: row 1 swaps two logits, row 2 doubles them.
    const softmax = (x: number[]) => {
      const e = x.map((v) => Math.exp(v));
      const z = e.reduce((p, q) => p + q, 0);
      return e.map((v) => v / z);
    };
    const kl = (x: number[], y: number[]) => {
      const [p, q] = [softmax(x), softmax(y)];
      return p.reduce((sum, pi, i) => sum + pi * Math.log(pi / q[i]!), 0);
    };
    const want =
      (kl([3, 1, 0, 0, 0, 0], [1, 3, 0, 0, 0, 0]) + kl([0, 0, 1, 2, 3, 4], [0, 0, 2, 4, 6, 8])) / 2;
    assert.ok(Math.abs(d.meanKl - want) < 1e-6, `${d.meanKl} vs ${want}`);
    // Six classes all above the original top-1 push it out of the top 5.
    const pushed = new DriftAccumulator()
      .add(f32([1, 0, 0, 0, 0, 0, 0], [1, 7]), f32([0, 1, 1, 1, 1, 1, 1], [1, 7]))
      .result();
    assert.equal(pushed.top1InTop5, 0);
  });

  it('interpolates percentiles', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5], 95), 4.8);
  });

  it('samples ids below the vocabulary, ones for masks, for a foreign model', async () => {
    const session = await createSession(
      join(import.meta.dirname, '..', '..', 'fixtures', 'torch', 'torch_bert_mlm_tiny.onnx'),
    );
    const feeds = sampleFeeds(session, { batch: 3, sequence: 7, vocabSize: 1000 });
    await session.release();
    assert.deepEqual(feeds.input_ids!.dims, [3, 7]);
    assert.ok([...(feeds.input_ids!.data as BigInt64Array)].every((v) => v >= 0n && v < 1000n));
    assert.ok([...(feeds.attention_mask!.data as BigInt64Array)].every((v) => v === 1n));
  });

  it('counts parameters, zeros and bytes by type', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 2048]);
    const values = Array.from({ length: 2048 * 2 }, (_, i) => (i % 4 === 0 ? 0 : 1));
    b.output(b.op('MatMul', [x, b.initializer(float32Tensor('w', [2048, 2], values))]));
    const stats = modelStats(b.toModel());
    assert.equal(stats.parameters, 4096);
    assert.equal(stats.zeros, 1024);
    assert.equal(stats.sparsity, 0.25);
    assert.equal(stats.bytesByType.float, 4096 * 4);
  });
});

describe('variant latency', () => {
  const reports = [
    { name: 'fp32', files: ['a.onnx'], kept: true },
    { name: 'dropped', files: ['b.onnx'], kept: false },
    { name: 'slow', files: ['c.onnx'], kept: true },
  ];
  /** Holds the thread for `ms` of wall-clock time (timers alone are too coarse on a loaded machine). */
  const busy = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };

  it('times the kept variants against the first, in the same rounds, and releases every one', async () => {
    const opened: string[] = [];
    const released: string[] = [];
    const timed = await measureVariantLatency(
      reports,
      async (r) => {
        opened.push(r.name);
        return {
          run: () => busy(r.name === 'slow' ? 30 : 3),
          release: async () => {
            released.push(r.name);
          },
        };
      },
      { seconds: 0 },
    );
    assert.deepEqual(opened, ['fp32', 'slow']);
    assert.deepEqual(released, ['fp32', 'slow']);
    assert.equal(timed[1]!.latency, undefined);
    assert.equal(timed[0]!.latency!.speedup.median, 1);
    // 30 ms against 3 ms a run: the slow variant's speed-up is about 0.1.
    assert.ok(timed[2]!.latency!.speedup.median < 0.5, String(timed[2]!.latency!.speedup.median));
    assert.equal(timed[2]!.latency!.runs, timed[0]!.latency!.runs);
  });

  it('times a count of rounds, not a time: the default 15, exactly `rounds` with no seconds, more within seconds', async () => {
    const counting = async () => ({ run: async () => {}, release: async () => {} });
    const runs = async (o: { rounds?: number; seconds?: number }) =>
      (await measureVariantLatency(reports, counting, o))[0]!.latency!.runs;
    assert.equal(await runs({}), DEFAULT_LATENCY_ROUNDS);
    assert.equal(DEFAULT_LATENCY_ROUNDS, 15);
    assert.equal(await runs({ rounds: 4 }), 4);
    // Runs of no work: a second of budget fills the 60-round ceiling.
    assert.equal(await runs({ rounds: 4, seconds: 1 }), 60);
  });

  it('releases what it opened when a variant fails to open', async () => {
    const released: string[] = [];
    await assert.rejects(
      measureVariantLatency(reports, async (r) => {
        if (r.name === 'slow') throw new Error('cannot open slow');
        return { run: async () => {}, release: async () => void released.push(r.name) };
      }),
      /cannot open slow/,
    );
    assert.deepEqual(released, ['fp32']);
  });
});
