/** Smoke test of onnxruntime-node under the test runner: a real session, typed arrays in and out. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { encodeModel } from '../../src/onnx/io.js';
import { validate } from '../../src/onnx/validate.js';
import { createSession, ortTensor, runSession } from '../../src/runtime/ort.js';

describe('onnxruntime-node', () => {
  it('runs a session and returns typed arrays of this realm', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3]);
    const y = b.input('y', DataType.FLOAT, [3]);
    b.output(b.op('Add', [x, y]));
    const session = await createSession(encodeModel(b.toModel()), { threads: 1 });
    try {
      const out = await runSession(session, {
        x: ortTensor('float32', Float32Array.of(1, 2, 3), [3]),
        y: ortTensor('float32', Float32Array.of(10, 20, 30), [3]),
      });
      const sum = Object.values(out)[0]!;
      assert.ok(sum.data instanceof Float32Array, 'instanceof works across the native boundary');
      assert.deepEqual([...sum.data], [11, 22, 33]);
      assert.deepEqual(sum.dims, [3]);
    } finally {
      await session.release();
    }
  });

  it('validate() reports why ONNX Runtime refuses a model', async () => {
    const ok = GraphBuilder.create();
    ok.output(ok.op('Relu', [ok.input('x', DataType.FLOAT, [2])]));
    assert.deepEqual(await validate(ok.toModel()), { inputs: ['x'], outputs: ['Relu_output_0'] });

    const bad = GraphBuilder.create();
    bad.output(bad.op('NoSuchOp', [bad.input('x', DataType.FLOAT, [2])]), { elemType: DataType.FLOAT });
    await assert.rejects(validate(bad.toModel(), { source: 'bad.onnx' }), {
      code: 'ORT_SESSION_FAILED',
      message: /^bad\.onnx: ONNX Runtime cannot load the model: .*NoSuchOp/,
    });
  });
});
