/**
 * The raw-tensor path: its bound on rows in flight per variant (over it is QUEUE_FULL, 429, and rows come back),
 * and the model's contract checked before ONNX Runtime sees a tensor (datatype, agreeing shapes, exact integers,
 * BYTES counts) and before an answer is sent (its size).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRawAnswer,
  checkRawTensors,
  MAX_RAW_ANSWER_VALUES,
  RawAdmission,
} from '../../src/server/raw-admission.js';
import { bytesValues, type InferTensor, toWire } from '../../src/server/v2-tensors.js';

describe('RawAdmission', () => {
  it('refuses rows over the bound with QUEUE_FULL and Retry-After, and frees them when work ends', async () => {
    const admission = new RawAdmission(10);
    let release!: () => void;
    const held = admission.run('m/fp32', 8, () => new Promise<void>((r) => (release = r)));
    await assert.rejects(
      admission.run('m/fp32', 3, async () => 1),
      (e: Error & { code?: string; retryAfterSeconds?: number }) =>
        e.code === 'QUEUE_FULL' && e.retryAfterSeconds === 1,
    );
    assert.equal(await admission.run('m/int8', 3, async () => 'other variant'), 'other variant');
    assert.equal(await admission.run('m/fp32', 2, async () => 'fits'), 'fits');
    release();
    await held;
    assert.equal(await admission.run('m/fp32', 10, async () => 'after'), 'after');
    await assert.rejects(
      admission.run('m/fp32', 1, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(
      await admission.run('m/fp32', 10, async () => 'freed after a failure'),
      'freed after a failure',
    );
  });
});

describe('raw tensors against the model’s contract', () => {
  const ids = { name: 'input_ids', type: 'int64', shape: [-1, -1] };
  const mask = { name: 'attention_mask', type: 'int64', shape: [-1, -1] };
  const limits = { maxRows: 64, maxLength: 128, vocabSize: 1000 };
  const tensor = (
    name: string,
    datatype: InferTensor['datatype'],
    shape: number[],
    data: unknown[],
  ): InferTensor => ({
    name,
    datatype,
    shape,
    data,
  });

  it('refuses a datatype the model does not take, naming both', () => {
    assert.throws(
      () => checkRawTensors([tensor('input_ids', 'INT32', [1, 2], [5, 6])], [ids, mask], limits),
      (e: Error & { code?: string }) =>
        e.code === 'INPUT_INVALID' && /datatype INT32; the model takes INT64/.test(e.message),
    );
  });

  it('refuses token-aligned inputs whose shapes disagree', () => {
    assert.throws(
      () =>
        checkRawTensors(
          [
            tensor('input_ids', 'INT64', [1, 4], [5, 6, 7, 8]),
            tensor('attention_mask', 'INT64', [1, 3], [1, 1, 1]),
          ],
          [ids, mask],
          limits,
        ),
      (e: Error & { code?: string }) => e.code === 'INPUT_INVALID' && /must agree/.test(e.message),
    );
    checkRawTensors(
      [tensor('input_ids', 'INT64', [1, 2], [5, 6]), tensor('attention_mask', 'INT64', [1, 2], [1, 1])],
      [ids, mask],
      limits,
    );
  });

  it('refuses integers that are not exact: 1.5 is not truncated, 1e300 does not wrap, 2^53 is refused', () => {
    for (const bad of [1.5, 1e300, 2 ** 53, -(2 ** 53)])
      assert.throws(
        () => toWire(tensor('input_ids', 'INT64', [1, 1], [bad])),
        (e: Error & { code?: string }) => e.code === 'INPUT_INVALID' && /is not a INT64/.test(e.message),
        String(bad),
      );
    assert.throws(() => toWire(tensor('x', 'UINT8', [1], [256])), /is not a UINT8/);
    assert.throws(() => toWire(tensor('x', 'INT32', [1], [2 ** 31])), /is not a INT32/);
    assert.deepEqual([...(toWire(tensor('x', 'INT64', [2], [7, -3])).data as BigInt64Array)], [7n, -3n]);
    assert.deepEqual([...(toWire(tensor('x', 'BOOL', [2], [true, false])).data as Uint8Array)], [1, 0]);
  });

  it('a BYTES tensor holds exactly as many strings as its shape says', () => {
    assert.throws(() => bytesValues(tensor('text', 'BYTES', [1], ['a', 'b', 'c'])), /needs 1 strings, got 3/);
    assert.deepEqual(bytesValues(tensor('text', 'BYTES', [2], ['a', 'b'])), ['a', 'b']);
  });

  it('bounds the values of a raw answer (a 48 KB request must not return 20 MB of JSON)', () => {
    const out = (n: number) => ({ type: 'float32' as const, data: new Float32Array(n), dims: [n] });
    checkRawAnswer({ last_hidden_state: out(MAX_RAW_ANSWER_VALUES) });
    assert.throws(
      () => checkRawAnswer({ a: out(MAX_RAW_ANSWER_VALUES), b: out(1) }),
      (e: Error & { code?: string }) =>
        e.code === 'INPUT_TOO_LARGE' && /list only the outputs you need/.test(e.message),
    );
  });
});
