/** AdamW, clipping, schedules and safetensors against hand-computed values. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataType } from '../../src/onnx/dtype.js';
import { float16Tensor, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { AdamW, clipScale, globalNorm } from '../../src/train/adamw.js';
import { readSafetensors, writeSafetensors } from '../../src/train/safetensors.js';
import { makeSchedule } from '../../src/train/schedule.js';
import { Rng } from '../../src/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-optim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** torch.optim.AdamW's update, written out in float64. */
function referenceAdamW(
  p: number,
  grads: number[],
  lr: number,
  wd: number,
  b1 = 0.9,
  b2 = 0.98,
  eps = 1e-6,
): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= ((lr / (1 - b1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
  });
  return p;
}

describe('AdamW', () => {
  it('matches the reference update, with and without weight decay', () => {
    const opt = new AdamW();
    const params = new Map([
      ['w', Float32Array.of(0.5, -1.5)],
      ['b', Float32Array.of(2)],
    ]);
    const steps = [
      [Float32Array.of(0.1, -0.3), Float32Array.of(1)],
      [Float32Array.of(-0.2, 0.05), Float32Array.of(0.5)],
      [Float32Array.of(0.3, 0.3), Float32Array.of(-2)],
    ];
    for (const [gw, gb] of steps)
      opt.update(
        params,
        new Map([
          ['w', gw!],
          ['b', gb!],
        ]),
        0.01,
        new Set(['w']),
      );
    const w0 = referenceAdamW(
      0.5,
      steps.map((s) => s[0]![0]!),
      0.01,
      0.01,
    );
    const w1 = referenceAdamW(
      -1.5,
      steps.map((s) => s[0]![1]!),
      0.01,
      0.01,
    );
    const b0 = referenceAdamW(
      2,
      steps.map((s) => s[1]![0]!),
      0.01,
      0,
    );
    assert.ok(Math.abs(params.get('w')![0]! - w0) < 1e-6);
    assert.ok(Math.abs(params.get('w')![1]! - w1) < 1e-6);
    assert.ok(Math.abs(params.get('b')![0]! - b0) < 1e-6);
    assert.equal(opt.step, 3);
  });

  it('clips by global norm', () => {
    const norm = globalNorm([Float32Array.of(3), Float32Array.of(4)]);
    assert.equal(norm, 5);
    assert.ok(Math.abs(clipScale(norm, 1) - 0.2) < 1e-6);
    assert.equal(clipScale(norm, 10), 1);
    assert.equal(clipScale(norm, undefined), 1);
  });
});

describe('learning-rate schedules', () => {
  it('warms up linearly, then decays as asked', () => {
    const linear = makeSchedule({ peak: 1, warmupSteps: 10, decay: 'linear', totalSteps: 110 });
    assert.equal(linear(5), 0.5);
    assert.equal(linear(10), 1);
    assert.equal(linear(60), 0.5);
    assert.equal(linear(110), 0);
    assert.equal(linear(500), 0);
    const cosine = makeSchedule({ peak: 2, warmupSteps: 0, decay: 'cosine', totalSteps: 100, minRatio: 0.1 });
    assert.ok(Math.abs(cosine(50) - (0.2 + 1.8 * 0.5)) < 1e-12);
    assert.ok(Math.abs(cosine(100) - 0.2) < 1e-12);
    const isqrt = makeSchedule({ peak: 1, warmupSteps: 4, decay: 'inverse_sqrt' });
    assert.equal(isqrt(4), 1);
    assert.equal(isqrt(16), 0.5);
    assert.equal(makeSchedule({ peak: 3, warmupSteps: 0, decay: 'constant' })(1000), 3);
    assert.throws(() => makeSchedule({ peak: 1, warmupSteps: 10, decay: 'cosine' }), {
      code: 'CONFIG_INVALID',
    });
    assert.throws(() => makeSchedule({ peak: 0, warmupSteps: 0, decay: 'constant' }), {
      code: 'CONFIG_INVALID',
    });
  });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata with the documented layout', () => {
    const path = join(dir, 't.safetensors');
    const tensors = [
      float32Tensor('a', [2, 2], [1, 2, 3, 4]),
      int64Tensor('ids', [3], [1, -2, 2 ** 40]),
      float16Tensor('h', [1], [0.5]),
    ];
    writeSafetensors(path, tensors, { hello: 'world' });
    const bytes = readFileSync(path);
    const headerSize = Number(bytes.readBigUInt64LE(0));
    assert.equal((8 + headerSize) % 8, 0, 'data starts 8-byte aligned');
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerSize)) as Record<
      string,
      { dtype: string; data_offsets: number[] }
    >;
    assert.deepEqual(header.a, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    assert.equal(header.ids?.dtype, 'I64');
    assert.equal(header.h?.dtype, 'F16');
    const back = readSafetensors(path);
    assert.deepEqual(back.metadata, { hello: 'world' });
    assert.deepEqual([...(back.tensors.get('a')!.data as Float32Array)], [1, 2, 3, 4]);
    assert.deepEqual([...(back.tensors.get('ids')!.data as BigInt64Array)], [1n, -2n, 2n ** 40n]);
    assert.equal(back.tensors.get('h')!.dataType, DataType.FLOAT16);
  });
});

describe('Rng', () => {
  it('is deterministic, restorable from its state, and roughly uniform', () => {
    const a = Rng.seeded(42);
    const b = Rng.seeded(42);
    for (let i = 0; i < 5; i++) a.next();
    for (let i = 0; i < 5; i++) b.next();
    const c = Rng.fromState(a.state());
    assert.deepEqual(
      Array.from({ length: 4 }, () => a.nextU32()),
      Array.from({ length: 4 }, () => c.nextU32()),
    );
    assert.notEqual(Rng.seeded(1, 2).nextU32(), Rng.seeded(1, 3).nextU32());
    const r = Rng.seeded(7);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < 20000; i++) {
      const n = r.normal();
      sum += n;
      sq += n * n;
    }
    assert.ok(Math.abs(sum / 20000) < 0.03 && Math.abs(sq / 20000 - 1) < 0.05);
  });
});
