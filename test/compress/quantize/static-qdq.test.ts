/**
 * Calibration (MinMax, Percentile, Entropy through ONNX Runtime) and staticQdq: op counts, the types of the
 * QDQ tensors, numeric closeness, the reasons it declines, and both PyTorch fixtures with every method.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CalibrationMethod,
  calibrate,
  calibrationTargets,
  entropyRange,
  Histogram,
  percentileRange,
  quantizeModel,
  staticQdq,
} from '../../../src/compress/quantize/index.js';
import { TlcError } from '../../../src/errors/index.js';
import { attr, DataType, float32Tensor, GraphBuilder, getInt, type Model } from '../../../src/onnx/index.js';
import type { OrtFeeds } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { runModel } from '../../helpers/ort.js';
import {
  compareModels,
  declinedFor,
  floatData,
  floatFeed,
  loadFixture,
  logitAgreement,
  opCounts,
  randomMatrix,
  tokenFeeds,
} from './helpers.js';

/** x → MatMul(w1) → Relu → MatMul(w2) → y, and x → MatMul(w3) → z (two MatMuls share x). */
function twoLayerModel(rng: Rng, opset = 17): Model {
  const b = GraphBuilder.create({ opsets: { '': opset } });
  const x = b.input('x', DataType.FLOAT, ['m', 32]);
  const w = (name: string, k: number, n: number) =>
    b.initializer(float32Tensor(name, [k, n], randomMatrix(rng, k, n)));
  const h = b.op('Relu', [b.op('MatMul', [x, w('w1', 32, 24)], {}, { name: 'mm1' })], {}, { outputs: ['h'] });
  b.output(b.op('MatMul', [h, w('w2', 24, 16)], {}, { name: 'mm2', outputs: ['y'] }));
  b.output(b.op('MatMul', [x, w('w3', 32, 8)], {}, { name: 'mm3', outputs: ['z'] }));
  return b.toModel();
}

function batches(rng: Rng, count: number): OrtFeeds[] {
  return Array.from({ length: count }, () => ({ x: floatFeed(rng, [6, 32]) }));
}

describe('calibrate', () => {
  it('finds the MatMul activations and their exact min/max over every batch', async () => {
    const rng = Rng.seeded(31);
    const model = twoLayerModel(rng);
    assert.deepEqual(calibrationTargets(model.graph), ['x', 'h']);
    assert.deepEqual(calibrationTargets(model.graph, { excludeNodes: ['mm2'] }), ['x']);
    const feeds = batches(rng, 3);
    const ranges = await calibrate(model, feeds);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const f of feeds) {
      for (const v of f.x!.data as Float32Array) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    assert.deepEqual(ranges.get('x'), { min, max });
    const h = ranges.get('h')!;
    assert.equal(h.min, 0, 'after Relu');
    assert.ok(h.max > 0);
  });

  it('percentile and entropy ranges lie inside the min/max range', async () => {
    const rng = Rng.seeded(32);
    const model = twoLayerModel(rng);
    const feeds = batches(rng, 4);
    const minmax = await calibrate(model, feeds);
    for (const method of [
      { kind: 'percentile', percentile: 99 },
      { kind: 'percentile', percentile: 99.9, symmetric: true },
      { kind: 'entropy' },
    ] as CalibrationMethod[]) {
      const ranges = await calibrate(model, feeds, { method });
      for (const [name, r] of ranges) {
        const full = minmax.get(name)!;
        assert.ok(r.min >= full.min && r.max <= full.max, `${method.kind} ${name}: ${JSON.stringify(r)}`);
        assert.ok(r.max > r.min);
      }
    }
  });

  it('refuses no feeds and unknown values with CONFIG_INVALID', async () => {
    const model = twoLayerModel(Rng.seeded(33));
    const invalid = (e: unknown) => e instanceof TlcError && e.code === 'CONFIG_INVALID';
    await assert.rejects(calibrate(model, []), invalid);
    await assert.rejects(calibrate(model, batches(Rng.seeded(1), 1), { values: ['nope'] }), invalid);
  });
});

describe('histogram ranges', () => {
  it('percentile cuts the tails; entropy clips a lone outlier; both keep the bulk', () => {
    const rng = Rng.seeded(34);
    const values = Float32Array.from({ length: 100_000 }, () => rng.normal());
    values[0] = 40; // one outlier
    const limit = 40;
    const h = new Histogram(2048, limit);
    h.add(values);
    const p = percentileRange(h, 99.9, false);
    assert.ok(p.max > 2.5 && p.max < 4, `percentile max ${p.max}`);
    assert.ok(p.min < -2.5 && p.min > -4, `percentile min ${p.min}`);
    const sym = percentileRange(h, 99.9, true);
    assert.ok(Math.abs(sym.max + sym.min) < 1e-9 || sym.min === h.tracker.min);
    const e = entropyRange(h);
    assert.ok(e.max < 20 && e.max > 2, `entropy max ${e.max}`);
    assert.ok(e.min >= h.tracker.min);
  });
});

describe('staticQdq', () => {
  it('puts Q→DQ on activations (one Q per activation) and per-column DQ on int8 weights', async () => {
    const rng = Rng.seeded(35);
    const model = twoLayerModel(rng);
    const ranges = await calibrate(model, batches(rng, 4));
    const { model: q, changes } = quantizeModel(model, staticQdq, { ranges });
    assert.deepEqual(opCounts(model.graph), { MatMul: 3, Relu: 1 });
    // x feeds two MatMuls: one QuantizeLinear, a DequantizeLinear for each.
    assert.deepEqual(opCounts(q.graph), { MatMul: 3, Relu: 1, QuantizeLinear: 2, DequantizeLinear: 6 });
    assert.equal(changes.filter((c) => c.kind === 'applied').length, 3);
    const init = (name: string) => q.graph.initializers.get(name)!;
    for (const node of q.graph.nodes.filter((n) => n.opType === 'QuantizeLinear')) {
      assert.equal(init(node.inputs[1]!).dataType, DataType.FLOAT);
      assert.deepEqual(init(node.inputs[1]!).dims, []);
      assert.equal(init(node.inputs[2]!).dataType, DataType.UINT8);
    }
    const weightDqs = q.graph.nodes.filter(
      (n) => n.opType === 'DequantizeLinear' && q.graph.initializers.has(n.inputs[0]!),
    );
    assert.equal(weightDqs.length, 3);
    for (const dq of weightDqs) {
      const w = init(dq.inputs[0]!);
      assert.equal(w.dataType, DataType.INT8);
      assert.equal(init(dq.inputs[1]!).dims[0], w.dims[1], 'one scale per column');
      assert.equal(init(dq.inputs[2]!).dataType, DataType.INT8);
      assert.equal(getInt(dq, 'axis'), 1);
    }
    assert.equal(q.graph.initializers.has('w1'), false);
    const feeds = { x: floatFeed(rng, [6, 32]) };
    for (const out of ['y', 'z']) {
      const err = await compareModels(model, q, feeds, out);
      assert.ok(err < 0.05, `${out}: relative error ${err}`);
    }
  });

  it('uses symmetric int8 activations on request', async () => {
    const rng = Rng.seeded(36);
    const model = twoLayerModel(rng);
    const calibration = batches(rng, 2);
    const ranges = await calibrate(model, calibration);
    const { model: q } = quantizeModel(model, staticQdq, { ranges, activationType: 'int8' });
    const qNode = q.graph.nodes.find((n) => n.opType === 'QuantizeLinear')!;
    const zp = q.graph.initializers.get(qNode.inputs[2]!)!;
    assert.equal(zp.dataType, DataType.INT8);
    assert.deepEqual(Array.from(zp.data as Int8Array), [0]);
    // On calibrated data (no clipping), symmetric int8 is as close as uint8.
    const err = await compareModels(model, q, calibration[0]!, 'y');
    assert.ok(err < 0.05, `relative error ${err}`);
  });

  it('rewrites Gemm(transB=1, C) into a QDQ MatMul plus Add', async () => {
    const rng = Rng.seeded(37);
    const b = GraphBuilder.create();
    const a = b.input('a', DataType.FLOAT, ['m', 16]);
    const w = b.initializer(float32Tensor('w', [12, 16], randomMatrix(rng, 12, 16)));
    const c = b.initializer(float32Tensor('c', [12], randomMatrix(rng, 1, 12)));
    b.output(b.op('Gemm', [a, w, c], { transB: attr.int(1), alpha: attr.float(0.7) }, { outputs: ['y'] }));
    const model = b.toModel();
    const feeds = [{ a: floatFeed(rng, [5, 16]) }];
    const ranges = await calibrate(model, feeds);
    const { model: q } = quantizeModel(model, staticQdq, { ranges });
    assert.deepEqual(opCounts(q.graph), { QuantizeLinear: 1, DequantizeLinear: 2, MatMul: 1, Add: 1 });
    const err = await compareModels(model, q, feeds[0]!, 'y');
    assert.ok(err < 0.05, `relative error ${err}`);
  });

  it('declines without a calibrated range, and below opset 13, and says why', () => {
    const model = twoLayerModel(Rng.seeded(38));
    const partial = quantizeModel(model, staticQdq, { ranges: new Map([['x', { min: -3, max: 3 }]]) });
    assert.deepEqual(declinedFor(partial.changes, 'mm2'), [
      'no calibration range for activation "h" (calibrate it first)',
    ]);
    assert.deepEqual(opCounts(partial.model.graph), {
      MatMul: 3,
      Relu: 1,
      QuantizeLinear: 1,
      DequantizeLinear: 4,
    });
    const old = twoLayerModel(Rng.seeded(38), 12);
    const ranges = new Map([
      ['x', { min: -3, max: 3 }],
      ['h', { min: 0, max: 3 }],
    ]);
    const declined = quantizeModel(old, staticQdq, { ranges });
    assert.equal(declined.model, old);
    assert.deepEqual(declinedFor(declined.changes, 'mm1'), [
      'per-column DequantizeLinear needs opset 13, the model imports 12',
    ]);
  });
});

describe('staticQdq: PyTorch fixtures', () => {
  for (const name of ['bert', 'gpt'] as const) {
    it(`${name}: every calibration method keeps cosine ≥ 0.999`, async () => {
      const model = loadFixture(name);
      const calibration = [1, 2, 3, 4].map((s) => tokenFeeds(Rng.seeded(100 + s), 4, 16));
      const feeds = tokenFeeds(Rng.seeded(7), 4, 16);
      const expected = floatData(await runModel(model, feeds), 'logits');
      for (const method of [
        { kind: 'minmax' },
        { kind: 'percentile', percentile: 99.999 },
        { kind: 'entropy' },
      ] as CalibrationMethod[]) {
        const ranges = await calibrate(model, calibration, { method });
        assert.equal(ranges.size, 10, '10 distinct activations feed the 14 weight MatMuls');
        const { model: q } = quantizeModel(model, staticQdq, { ranges });
        const counts = opCounts(q.graph);
        assert.equal(counts.QuantizeLinear, 10);
        assert.equal(counts.DequantizeLinear, 28);
        const agreement = logitAgreement(expected, floatData(await runModel(q, feeds), 'logits'), 1000);
        assert.ok(agreement.cosine >= 0.999, `${method.kind}: cosine ${agreement.cosine}`);
      }
    });
  }
});
