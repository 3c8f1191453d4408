/** Smoke test of onnxruntime-node under the test runner: a real session, typed arrays in and out. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { encodeModel } from '../../src/onnx/io.js';
import {
  createSession,
  createSessionOn,
  ortTensor,
  providersFor,
  runSession,
} from '../../src/ort/session.js';
import { validate } from '../../src/ort/validate.js';

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

  it('picks execution providers explicitly: an error or, when asked, a CPU fallback with a warning', async (t) => {
    assert.deepEqual(providersFor('cpu', false), ['cpu']);
    assert.deepEqual(providersFor('cuda', false), ['cuda']);
    assert.deepEqual(providersFor('cuda', true), ['cuda', 'cpu']);
    assert.deepEqual(providersFor('auto', false), ['cuda', 'webgpu', 'cpu']);
    const b = GraphBuilder.create();
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [2])]));
    const bytes = encodeModel(b.toModel());
    let cuda: Awaited<ReturnType<typeof createSessionOn>> | undefined;
    try {
      cuda = await createSessionOn(bytes, { device: 'cuda' });
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'ORT_PROVIDER_UNAVAILABLE');
      assert.match((error as Error).message, /cuda execution provider is not available.*--device cpu/);
    }
    if (cuda !== undefined) {
      await cuda.session.release();
      return t.skip('CUDA is installed here; the fallback cannot be observed');
    }
    const warnings: string[] = [];
    const fallback = await createSessionOn(bytes, {
      device: 'cuda',
      fallbackToCpu: true,
      warn: (m) => warnings.push(m),
    });
    assert.equal(fallback.provider, 'cpu');
    assert.match(warnings.join('\n'), /cuda execution provider unavailable.*trying cpu/);
    await fallback.session.release();
  });
});
