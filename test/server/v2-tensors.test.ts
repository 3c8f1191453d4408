/** KServe v2 JSON tensors to wire tensors and back, through the one datatype table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float32ToFloat16Bits } from '../../src/onnx/float16.js';
import { fromWire, toWire, v2Datatype } from '../../src/server/v2-tensors.js';

describe('v2 tensors', () => {
  it('decodes FP16 to float16 bit patterns and encodes them back to numbers', () => {
    const wire = toWire({
      name: 'x',
      shape: [2, 2],
      datatype: 'FP16',
      data: [
        [1.5, -2],
        [0.000061035, 65504],
      ],
    });
    assert.equal(wire.type, 'float16');
    assert.ok(wire.data instanceof Uint16Array);
    assert.deepEqual(
      [...(wire.data as Uint16Array)],
      [1.5, -2, 0.000061035, 65504].map(float32ToFloat16Bits),
    );
    const back = fromWire('x', wire);
    assert.equal(back.datatype, 'FP16');
    assert.deepEqual(back.shape, [2, 2]);
    assert.deepEqual(back.data, [1.5, -2, 0.00006103515625, 65504]);
  });

  it('round-trips INT64 through bigints (never truncating: 2.9 is refused) and BOOL through bytes', () => {
    assert.throws(
      () => toWire({ name: 'ids', shape: [3], datatype: 'INT64', data: [1, 2.9, -3] }),
      /value 2\.9 at 1 is not a INT64/,
    );
    const ids = toWire({ name: 'ids', shape: [3], datatype: 'INT64', data: [1, 2, -3] });
    assert.deepEqual([...(ids.data as BigInt64Array)], [1n, 2n, -3n]);
    assert.deepEqual(fromWire('ids', ids).data, [1, 2, -3]);
    const mask = toWire({ name: 'm', shape: [2], datatype: 'BOOL', data: [true, false] });
    assert.deepEqual(fromWire('m', mask), { name: 'm', shape: [2], datatype: 'BOOL', data: [true, false] });
  });

  it('names ORT types in v2 terms and refuses what it cannot feed', () => {
    assert.equal(v2Datatype('float16'), 'FP16');
    assert.equal(v2Datatype('string'), 'BYTES');
    assert.equal(v2Datatype('double'), 'DOUBLE');
    assert.throws(() => toWire({ name: 't', shape: [1], datatype: 'BYTES', data: ['a'] }), {
      code: 'INPUT_INVALID',
      message: /datatype BYTES is not supported/,
    });
    assert.throws(() => toWire({ name: 't', shape: [3], datatype: 'FP32', data: [1, 2] }), {
      code: 'INPUT_INVALID',
      message: /needs 3 values, got 2/,
    });
  });
});
