/**
 * Gradient checking against central finite differences computed through ONNX Runtime itself: the analytic
 * gradient comes from TLC's backward graph, the numeric one from perturbing each input element of the
 * forward graph. The loss is Σ y·R with a fixed random R, so every element of y matters.
 */
import assert from 'node:assert/strict';
import { gradient } from '../../src/autodiff/gradient.js';
import { attr } from '../../src/onnx/attributes.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { tensorFromNumbers } from '../../src/onnx/tensor.js';
import {
  createSession,
  type OrtFeeds,
  type OrtSession,
  ortTensor,
  runSession,
} from '../../src/ort/session.js';
import { inferShapes } from '../../src/ort/shape-inference.js';

export type FloatType = typeof DataType.FLOAT | typeof DataType.DOUBLE;

export interface InputSpec {
  readonly shape: readonly number[];
  /** Values (default: uniform in [low, high)). */
  readonly values?: readonly number[];
  readonly low?: number;
  readonly high?: number;
  /** Non-float inputs (labels, indices) are fed as given and not differentiated. */
  readonly type?: 'int64' | 'bool';
}

export interface GradCase {
  readonly inputs: Readonly<Record<string, InputSpec>>;
  /** Inputs to differentiate (default: every float input). */
  readonly wrt?: readonly string[];
  /** Builds the function; returns the value whose weighted sum is the loss. */
  readonly build: (b: GraphBuilder, t: FloatType) => string;
  readonly opsets?: Readonly<Record<string, number>>;
  /** The output is already the loss (a scalar): do not weight it. */
  readonly scalarLoss?: boolean;
}

export interface GradReport {
  /** max |analytic − numeric| / max |numeric|, per input. */
  readonly errors: Record<string, number>;
  readonly model: Model;
}

/** Deterministic pseudo-random numbers (LCG) so failures reproduce. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function feedOf(spec: InputSpec, values: readonly number[], t: FloatType) {
  if (spec.type === 'int64')
    return ortTensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(v)),
      spec.shape,
    );
  if (spec.type === 'bool') return ortTensor('bool', Uint8Array.from(values), spec.shape);
  return t === DataType.DOUBLE
    ? ortTensor('float64', Float64Array.from(values), spec.shape)
    : ortTensor('float32', Float32Array.from(values), spec.shape);
}

async function scalar(session: OrtSession, feeds: OrtFeeds, name: string): Promise<number> {
  const out = await runSession(session, feeds, [name]);
  return Number((out[name]!.data as Float64Array)[0]);
}

export async function checkGradient(c: GradCase, t: FloatType, seed = 7): Promise<GradReport> {
  const rand = random(seed);
  const values: Record<string, number[]> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    values[name] = spec.values
      ? [...spec.values]
      : Array.from({ length: n }, () => (spec.low ?? -1) + ((spec.high ?? 1) - (spec.low ?? -1)) * rand());
  }
  const b = GraphBuilder.create({ opsets: c.opsets ?? { '': 17 } });
  for (const [name, spec] of Object.entries(c.inputs)) {
    b.input(
      name,
      spec.type === 'int64' ? DataType.INT64 : spec.type === 'bool' ? DataType.BOOL : t,
      spec.shape,
    );
  }
  const y = c.build(b, t);
  let loss = y;
  if (!c.scalarLoss) {
    // Weight each element of y with a fixed random factor; y's shape comes from one forward run.
    const probe = b.toModel();
    const probeModel: Model = { ...probe, graph: { ...probe.graph, outputs: [{ name: y }] } };
    const session = await createSession(encodeModel(probeModel));
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([n, s]) => [n, feedOf(s, values[n]!, t)]));
    const dims = (await runSession(session, feeds))[y]!.dims;
    await session.release();
    const count = dims.reduce((a, d) => a * d, 1);
    const r = b.constant(
      tensorFromNumbers(
        'R',
        t,
        dims,
        Array.from({ length: count }, () => rand() * 2 - 1),
      ),
    );
    loss = b.op('ReduceSum', [b.op('Mul', [y, r])], { keepdims: attr.int(0) });
  }
  b.output(loss);
  const forward = b.toModel();
  const wrt =
    c.wrt ??
    Object.entries(c.inputs)
      .filter(([, s]) => s.type === undefined)
      .map(([n]) => n);
  const shapes = await inferShapes(forward);
  const grad = gradient(forward.graph, { loss, wrt, shapes, opsets: forward.opsetImports });
  const model: Model = { ...forward, graph: grad.graph, opsetImports: new Map(grad.opsets) };

  const feedsFor = (vals: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(c.inputs).map(([n, s]) => [n, feedOf(s, vals[n]!, t)]));
  const gradSession = await createSession(encodeModel(model));
  const fwdSession = await createSession(encodeModel(forward));
  try {
    const out = await runSession(gradSession, feedsFor(values));
    const errors: Record<string, number> = {};
    // float64 differences are exact to ~1e-10 with eps 1e-6; float32 needs a coarser step.
    const eps = t === DataType.DOUBLE ? 1e-6 : 1e-2;
    for (const w of wrt) {
      const analytic = Array.from(out[grad.gradients.get(w)!]!.data as Float64Array, Number);
      const numeric: number[] = [];
      for (let i = 0; i < values[w]!.length; i++) {
        const plus = structuredClone(values);
        const minus = structuredClone(values);
        plus[w]![i]! += eps;
        minus[w]![i]! -= eps;
        const lp = await scalar(fwdSession, feedsFor(plus), loss);
        const lm = await scalar(fwdSession, feedsFor(minus), loss);
        numeric.push((lp - lm) / (2 * eps));
      }
      assert.equal(
        analytic.length,
        numeric.length,
        `${w}: gradient has ${analytic.length} elements, input ${numeric.length}`,
      );
      const scale = Math.max(...numeric.map(Math.abs), 1e-12);
      errors[w] = Math.max(...numeric.map((n, i) => Math.abs(n - analytic[i]!))) / scale;
    }
    return { errors, model };
  } finally {
    await gradSession.release();
    await fwdSession.release();
  }
}
