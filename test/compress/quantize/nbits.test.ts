/**
 * weightOnlyNBits and the MatMulNBits layout. The layout is checked numerically against ONNX Runtime: with
 * accuracy_level 0 MatMulNBits must equal a float MatMul with our own dequantized weights (to ~1e-5
 * relative), for 4 and 8 bits, symmetric and with zero points, several block sizes, K not a multiple of the
 * block size and an odd number of blocks (zero-point nibble packing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dequantizeNBits,
  dynamicInt8,
  packBits,
  quantizeModel,
  quantizeNBits,
  unpackBits,
  weightOnlyNBits,
} from '../../../src/compress/quantize/index.js';
import { TlcError } from '../../../src/errors/index.js';
import {
  attr,
  DataType,
  encodeModel,
  float32Tensor,
  GraphBuilder,
  getInt,
  type Model,
} from '../../../src/onnx/index.js';
import { ortTensor } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { runModel } from '../../helpers/ort.js';
import {
  applied,
  compareModels,
  declinedFor,
  floatData,
  floatFeed,
  linearModel,
  loadFixture,
  logitAgreement,
  opCounts,
  randomMatrix,
  relativeError,
  tokenFeeds,
} from './helpers.js';

const NBITS = 'com.microsoft::MatMulNBits';

/** x · W (+ bias) in float64 from a row-major W [K, N]. */
function reference(
  x: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
  bias?: Float32Array,
): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias?.[j] ?? 0;
      for (let kk = 0; kk < k; kk++) s += x[i * k + kk]! * w[kk * n + j]!;
      y[i * n + j] = s;
    }
  return y;
}

describe('bit packing', () => {
  it('packs 4-bit values low nibble first, 2-bit values low bits first', () => {
    assert.deepEqual(Array.from(packBits([1, 2, 15, 0, 7], 4)), [0x21, 0x0f, 0x07]);
    assert.deepEqual(Array.from(packBits([1, 2, 3, 0, 2], 2)), [0b00111001, 0b10]);
    assert.deepEqual(Array.from(unpackBits(Uint8Array.of(0x21, 0x0f, 0x07), 5, 4)), [1, 2, 15, 0, 7]);
    assert.throws(() => packBits([16], 4), RangeError);
  });

  it('lays out a symmetric 4-bit block as q + 8 in [N, blocks, blobSize] with scale absmax / 7', () => {
    // One column, K = 16: w[k] = (k − 7) / 7 so absmax = 8/7 at k = 15, scale = 8/49, q = round(w / scale).
    const w = Float32Array.from({ length: 16 }, (_, k) => (k - 7) / 7);
    const q = quantizeNBits(w, 16, 1, 'kn', { bits: 4, blockSize: 16, symmetric: true });
    assert.deepEqual([q.blocks, q.blobSize, q.data.length, q.scales.length], [1, 8, 8, 1]);
    assert.equal(q.zeroPoints, undefined);
    assert.ok(Math.abs(q.scales[0]! - 8 / 49) < 1e-7);
    const expected = Array.from(w, (v) => Math.round(v / q.scales[0]!) + 8);
    assert.deepEqual(Array.from(unpackBits(q.data, 16, 4)), expected);
    assert.equal(q.data[0], expected[0]! | (expected[1]! << 4));
  });
});

describe('MatMulNBits layout against ONNX Runtime (accuracy_level 0)', () => {
  it('equals a float MatMul with the dequantized weights to 1e-5 relative', async () => {
    const rng = Rng.seeded(21);
    const [m, k, n] = [6, 96, 40];
    const w = randomMatrix(rng, k, n);
    const x = randomMatrix(rng, m, k, 1);
    const bias = randomMatrix(rng, 1, n);
    for (const bits of [4, 8] as const) {
      for (const symmetric of [true, false]) {
        // 96 = 6 × 16 = 3 × 32 (odd block count: packed zero points end in half a byte) = 1.5 × 64 (padded).
        for (const blockSize of [16, 32, 64]) {
          for (const withBias of [false, true]) {
            const b = GraphBuilder.create();
            const a = b.input('a', DataType.FLOAT, ['m', k]);
            let y = b.op('MatMul', [a, b.initializer(float32Tensor('w', [k, n], w))], {}, { name: 'mm' });
            if (withBias)
              y = b.op('Add', [y, b.initializer(float32Tensor('bias', [n], bias))], {}, { name: 'add' });
            b.output(b.op('Identity', [y], {}, { outputs: ['y'] }), { elemType: DataType.FLOAT });
            const { model, changes } = quantizeModel(b.toModel(), weightOnlyNBits, {
              bits,
              symmetric,
              blockSize,
              accuracyLevel: 0,
            });
            const label = `bits ${bits} ${symmetric ? 'sym' : 'asym'} block ${blockSize} bias ${withBias}`;
            assert.deepEqual(opCounts(model.graph), { [NBITS]: 1, Identity: 1 }, label);
            assert.equal(applied(changes).length, 1);
            const node = model.graph.nodes.find((nd) => nd.opType === 'MatMulNBits')!;
            const blocks = Math.ceil(k / blockSize);
            const tensor = (i: number) => model.graph.initializers.get(node.inputs[i]!)!;
            assert.equal(tensor(1).dataType, DataType.UINT8);
            assert.deepEqual(tensor(1).dims, [n, blocks, (blockSize * bits) / 8], label);
            assert.equal(tensor(2).dataType, DataType.FLOAT);
            assert.deepEqual(tensor(2).dims, [n * blocks]);
            if (symmetric) assert.ok(node.inputs.length < 4 || node.inputs[3] === '', 'no zero points');
            else {
              assert.equal(tensor(3).dataType, DataType.UINT8);
              assert.deepEqual(tensor(3).dims, [n * Math.ceil((blocks * bits) / 8)], label);
            }
            if (withBias) assert.equal(node.inputs[5], 'bias', 'bias folded into input 5');
            const dequantized = dequantizeNBits(quantizeNBits(w, k, n, 'kn', { bits, blockSize, symmetric }));
            const expected = reference(x, dequantized, m, k, n, withBias ? bias : undefined);
            const actual = floatData(await runModel(model, { a: ortTensor('float32', x, [m, k]) }), 'y');
            const err = relativeError(actual, expected);
            assert.ok(err < 1e-5, `${label}: relative error ${err}`);
            // And the quantization itself stays within its step size of the float weights.
            assert.ok(relativeError(dequantized, w) < (bits === 4 ? 0.2 : 0.012), label);
          }
        }
      }
    }
  });

  it('accuracy_level 4 (int8 activations, the default) stays within 2% of accuracy_level 0', async () => {
    const rng = Rng.seeded(22);
    const model = linearModel(rng, 128, 64);
    const exact = quantizeModel(model, weightOnlyNBits, { accuracyLevel: 0 }).model;
    const fast = quantizeModel(model, weightOnlyNBits, {}).model;
    assert.equal(getInt(fast.graph.nodes[0]!, 'accuracy_level'), 4);
    const err = await compareModels(exact, fast, { x: floatFeed(rng, [16, 128]) }, 'y');
    assert.ok(err < 0.02, `relative error ${err}`);
  });
});

describe('weightOnlyNBits: Gemm, declines and options', () => {
  it('rewrites Gemm(transB=1, alpha, beta · C) with B already in [N, K] order', async () => {
    const rng = Rng.seeded(23);
    const b = GraphBuilder.create();
    const a = b.input('a', DataType.FLOAT, ['m', 64]);
    const w = b.initializer(float32Tensor('w', [32, 64], randomMatrix(rng, 32, 64)));
    const c = b.initializer(float32Tensor('c', [32], randomMatrix(rng, 1, 32)));
    b.output(
      b.op(
        'Gemm',
        [a, w, c],
        { transB: attr.int(1), alpha: attr.float(0.5), beta: attr.float(2) },
        { outputs: ['y'] },
      ),
    );
    const model = b.toModel();
    const exact = quantizeModel(model, weightOnlyNBits, { bits: 8, accuracyLevel: 0 }).model;
    assert.deepEqual(opCounts(exact.graph), { [NBITS]: 1 });
    const err = await compareModels(model, exact, { a: floatFeed(rng, [4, 64]) }, 'y');
    assert.ok(err < 0.02, `relative error ${err}`);
  });

  it('declines non-constant and non-2-D weights, and says why', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 32]);
    b.output(b.op('MatMul', [x, b.input('w', DataType.FLOAT, [32, 8])], {}, { name: 'mm', outputs: ['y'] }));
    const { model, changes } = quantizeModel(b.toModel(), weightOnlyNBits, {});
    assert.deepEqual(opCounts(model.graph), { MatMul: 1 });
    assert.deepEqual(declinedFor(changes, 'mm'), ['weight B "w" is not a constant initializer']);
  });

  it('rejects bad options up front with CONFIG_INVALID', () => {
    const model: Model = linearModel(Rng.seeded(24), 32, 8);
    for (const options of [
      { blockSize: 24 },
      { blockSize: 8 },
      { bits: 3 as 4 },
      { accuracyLevel: 5 as 4 },
    ]) {
      assert.throws(
        () => weightOnlyNBits(model.graph, options),
        (e: unknown) => e instanceof TlcError && e.code === 'CONFIG_INVALID',
        JSON.stringify(options),
      );
    }
  });
});

describe('weightOnlyNBits: PyTorch fixtures', () => {
  it('q4 files are smaller than int8 files (embeddings quantized in both)', () => {
    const model = loadFixture('bert');
    const bytes = (m: Model) => encodeModel(m).byteLength;
    const q4 = quantizeModel(model, weightOnlyNBits, { bits: 4 }).model;
    const int8 = quantizeModel(model, dynamicInt8, {}).model;
    assert.ok(bytes(q4) < 0.8 * bytes(int8), `q4 ${bytes(q4)} B, int8 ${bytes(int8)} B`);
  });

  for (const name of ['bert', 'gpt'] as const) {
    it(`${name}: 14 MatMulNBits; 8-bit keeps cosine ≥ 0.9999, 4-bit ≥ 0.98`, async () => {
      const model = loadFixture(name);
      const feeds = tokenFeeds(Rng.seeded(25), 4, 16);
      const expected = floatData(await runModel(model, feeds), 'logits');
      for (const [bits, floor] of [
        [8, 0.9999],
        [4, 0.98],
      ] as const) {
        const { model: q } = quantizeModel(model, weightOnlyNBits, { bits, accuracyLevel: 0 });
        assert.equal(opCounts(q.graph)[NBITS], 14);
        assert.equal(opCounts(q.graph).MatMul, 4, 'the attention MatMuls stay');
        // The token and position tables become int8 rows, as in dynamic int8: no float table is left.
        const floatTables = [...q.graph.initializers.values()].filter(
          (t) => t.dataType === DataType.FLOAT && t.dims.length === 2 && t.dims[1]! > 1,
        );
        assert.deepEqual(
          floatTables.map((t) => t.name),
          [],
        );
        const agreement = logitAgreement(expected, floatData(await runModel(q, feeds), 'logits'), 1000);
        assert.ok(agreement.cosine >= floor, `${bits}-bit cosine ${agreement.cosine}`);
      }
    });
  }
});
