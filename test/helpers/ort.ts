/** Test helpers: run an in-memory model in ONNX Runtime and compare outputs. */
import assert from 'node:assert/strict';
import { encodeModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import {
  createSession,
  type OrtFeeds,
  type OrtTensor,
  ortTensor,
  runSession,
} from '../../src/ort/session.js';

export { ortTensor };

/** Encodes the model, runs it once on CPU and releases the session. */
export async function runModel(model: Model, feeds: OrtFeeds = {}): Promise<Record<string, OrtTensor>> {
  const session = await createSession(encodeModel(model));
  try {
    return await runSession(session, feeds);
  } finally {
    await session.release();
  }
}

/** Runs a model file (external data beside it) once on CPU. */
export async function runModelFile(path: string, feeds: OrtFeeds = {}): Promise<Record<string, OrtTensor>> {
  const session = await createSession(path);
  try {
    return await runSession(session, feeds);
  } finally {
    await session.release();
  }
}

export function f32(values: readonly number[], dims: readonly number[]): OrtTensor {
  return ortTensor('float32', Float32Array.from(values), dims);
}

export function i64(values: readonly number[], dims: readonly number[]): OrtTensor {
  return ortTensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** Asserts two numeric arrays agree element-wise within an absolute tolerance (NaN equals NaN). */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-5,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(e), `${what}: NaN mismatch at ${i} (${a} vs ${e})`);
      continue;
    }
    if (a === e) continue; // equal infinities too
    const d = Math.abs(a - e);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  assert.ok(
    worst <= tolerance,
    `${what}: max abs diff ${worst} at ${at} (${actual[at]} vs ${expected[at]}) exceeds ${tolerance}`,
  );
}

/** Asserts two sets of ORT outputs are identical in names, types, shapes and (within tolerance) values. */
export function assertSameOutputs(
  actual: Record<string, OrtTensor>,
  expected: Record<string, OrtTensor>,
  tolerance = 0,
): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name]!;
    assert.equal(a.type, e.type, `${name}: type`);
    assert.deepEqual(a.dims, e.dims, `${name}: dims`);
    if (e.type === 'string') assert.deepEqual(a.data, e.data, `${name}: strings`);
    else if (e.type === 'int64' || e.type === 'uint64')
      assert.deepEqual(Array.from(a.data as BigInt64Array), Array.from(e.data as BigInt64Array), name);
    else assertClose(a.data as Float32Array, e.data as Float32Array, tolerance, name);
  }
}

export function boolScalar(value: boolean): OrtTensor {
  return ortTensor('bool', Uint8Array.of(value ? 1 : 0), []);
}
