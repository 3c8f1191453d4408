/** float16 / bfloat16 / 4-bit packing, checked against known bit patterns and against ONNX Runtime's Cast. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/onnx/attributes.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  fromFloat16Array,
  toFloat16Array,
} from '../../src/onnx/float16.js';
import { packInt4, packUint4, unpackInt4, unpackUint4 } from '../../src/onnx/int4.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import {
  float32Tensor,
  int4Tensor,
  makeTensor,
  tensorFromNumbers,
  uint4Tensor,
} from '../../src/onnx/tensor.js';
import { tensorToFloat32, tensorToNumbers } from '../../src/onnx/tensor-values.js';
import { assertClose, f32, runModel } from '../helpers/ort.js';

/** Deterministic values spanning normals, subnormals, overflow and rounding ties. */
function probeValues(): number[] {
  const values = [
    0,
    -0,
    1,
    -2,
    0.5,
    65504,
    65520,
    70000,
    -70000,
    1e-8,
    5.96e-8,
    6.1e-5,
    3.0e-5,
    Infinity,
    -Infinity,
    NaN,
  ];
  values.push(1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051, 1e30, -1e-30, Math.PI, 1 / 3);
  let s = 12345;
  for (let i = 0; i < 2000; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const mantissa = s / 2 ** 32 - 0.5;
    values.push(mantissa * 2 ** ((i % 50) - 30));
  }
  return values;
}

describe('float16', () => {
  it('encodes known bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [Infinity, 0x7c00],
      [1 + 2 ** -11, 0x3c00], // tie rounds to even
      [1 + 3 * 2 ** -11, 0x3c02],
      [65520, 0x7c00], // rounds up to infinity
    ];
    for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `${value}`);
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
  });

  it('decodes every finite float16 exactly and re-encodes it to the same bits', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >> 10) & 0x1f;
      if (exp === 0x1f) continue;
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits);
    }
  });

  it("matches ONNX Runtime's Cast(float → float16) bit for bit", async () => {
    const values = probeValues();
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [values.length]);
    b.output(b.op('Cast', [x], { to: attr.int(DataType.FLOAT16) }));
    const out = await runModel(b.toModel(), { x: f32(values, [values.length]) });
    const ort = Object.values(out)[0]!.data as Uint16Array;
    const ours = toFloat16Array(values);
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i]!)) assert.equal(ort[i]! & 0x7c00, 0x7c00);
      else assert.equal(ours[i], ort[i], `value ${values[i]}`);
    }
    assertClose(fromFloat16Array(ours), fromFloat16Array(ort), 0, 'decoded');
  });
});

describe('bfloat16', () => {
  it('encodes known bit patterns and round-trips', () => {
    assert.equal(float32ToBfloat16Bits(1), 0x3f80);
    assert.equal(float32ToBfloat16Bits(-2), 0xc000);
    assert.equal(bfloat16BitsToFloat32(0x3f80), 1);
    assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie to even
    assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
  });

  it('a BFLOAT16 initializer read by ONNX Runtime gives our decoded values', async () => {
    const values = probeValues().filter((v) => Number.isFinite(v) && Math.abs(v) < 1e38);
    const b = GraphBuilder.create();
    const w = b.initializer(tensorFromNumbers('w', DataType.BFLOAT16, [values.length], values));
    b.output(b.op('Cast', [w], { to: attr.int(DataType.FLOAT) }));
    const model = b.toModel();
    const out = await runModel(model, {});
    const expected = tensorToFloat32(model.graph.initializers.get('w')!);
    assertClose(Object.values(out)[0]!.data as Float32Array, expected, 0, 'bfloat16');
  });
});

describe('4-bit packing', () => {
  it('packs the first element in the low nibble', () => {
    assert.deepEqual([...packInt4([1, -1, -8])], [0xf1, 0x08]);
    assert.deepEqual([...packUint4([15, 0, 7])], [0x0f, 0x07]);
    assert.deepEqual([...unpackInt4(Uint8Array.from([0xf1, 0x08]), 3)], [1, -1, -8]);
    assert.throws(() => packInt4([8]), RangeError);
    assert.throws(() => packUint4([-1]), RangeError);
    assert.throws(() => unpackUint4(Uint8Array.from([1]), 3), RangeError);
  });

  it('round-trips every value, odd and even counts', () => {
    for (const count of [1, 2, 7, 16]) {
      const ints = Array.from({ length: count }, (_, i) => (i % 16) - 8);
      const uints = Array.from({ length: count }, (_, i) => i % 16);
      assert.deepEqual([...unpackInt4(packInt4(ints), count)], ints);
      assert.deepEqual([...unpackUint4(packUint4(uints), count)], uints);
    }
  });

  it('INT4 and UINT4 initializers dequantize in ONNX Runtime to our unpacked values', async () => {
    const ints = [-8, -3, 0, 1, 7, 5, -1];
    const uints = [0, 15, 3, 9, 12, 1, 8];
    const b = GraphBuilder.create({ opsets: { '': 21 } });
    const wi = b.initializer(int4Tensor('wi', [7], ints));
    const wu = b.initializer(uint4Tensor('wu', [7], uints));
    const one = b.initializer(float32Tensor('one', [], [1]));
    b.output(b.op('DequantizeLinear', [wi, one]));
    b.output(b.op('DequantizeLinear', [wu, one]));
    const model = decodeModel(encodeModel(b.toModel()));
    assert.deepEqual(tensorToNumbers(model.graph.initializers.get('wi')!), ints);
    assert.deepEqual(tensorToNumbers(model.graph.initializers.get('wu')!), uints);
    const out = Object.values(await runModel(model, {}));
    assertClose(out[0]!.data as Float32Array, ints, 0, 'int4');
    assertClose(out[1]!.data as Float32Array, uints, 0, 'uint4');
  });
});

describe('makeTensor', () => {
  it('rejects data of the wrong kind or length', () => {
    assert.throws(
      () => makeTensor('t', DataType.FLOAT, [2], new Float64Array(2)),
      /FLOAT data must be stored as float32/,
    );
    assert.throws(() => makeTensor('t', DataType.FLOAT, [3], new Float32Array(2)), /needs 3 stored elements/);
    assert.throws(() => makeTensor('t', DataType.INT4, [3], new Uint8Array(1)), /needs 2 stored elements/);
    assert.throws(() => makeTensor('t', DataType.FLOAT, [-1], new Float32Array(0)), /invalid dimension/);
  });
});
