/** Shared helpers for the quantization tests: graphs, feeds, op counts and output comparisons. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  allNodes,
  DataType,
  float32Tensor,
  type Graph,
  GraphBuilder,
  loadModel,
  type Model,
  type Tensor,
} from '../../../src/onnx/index.js';
import type { PassChange } from '../../../src/onnx/passes/pass.js';
import { type OrtFeeds, type OrtTensor, ortTensor } from '../../../src/ort/session.js';
import type { Rng } from '../../../src/util/rng.js';
import { runModel } from '../../helpers/ort.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'torch');

export function loadFixture(name: 'bert' | 'gpt'): Model {
  return loadModel(
    join(FIXTURES, name === 'bert' ? 'torch_bert_mlm_tiny.onnx' : 'torch_gpt_causal_tiny.onnx'),
  );
}

/** Op type → count over the graph and its subgraphs ("domain::Op" for contrib ops). */
export function opCounts(graph: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of allNodes(graph)) {
    const key = n.domain === '' ? n.opType : `${n.domain}::${n.opType}`;
    h[key] = (h[key] ?? 0) + 1;
  }
  return h;
}

export function applied(changes: readonly PassChange[]): PassChange[] {
  return changes.filter((c) => c.kind === 'applied');
}

export function declinedFor(changes: readonly PassChange[], target: string): string[] {
  return changes.filter((c) => c.kind === 'declined' && c.target === target).map((c) => c.detail);
}

export function randomMatrix(rng: Rng, rows: number, cols: number, std = 0.5): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => rng.normal() * std);
}

export function randomTensor(rng: Rng, name: string, dims: readonly number[], std = 0.5): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return float32Tensor(
    name,
    dims,
    Float32Array.from({ length: n }, () => rng.normal() * std),
  );
}

export function floatFeed(rng: Rng, dims: readonly number[], std = 1): OrtTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return ortTensor(
    'float32',
    Float32Array.from({ length: n }, () => rng.normal() * std),
    dims,
  );
}

/** input_ids in [0, vocab) and an all-ones attention_mask, [batch, length]. */
export function tokenFeeds(rng: Rng, batch: number, length: number, vocab = 1000): OrtFeeds {
  const n = batch * length;
  return {
    input_ids: ortTensor(
      'int64',
      BigInt64Array.from({ length: n }, () => BigInt(rng.int(vocab))),
      [batch, length],
    ),
    attention_mask: ortTensor(
      'int64',
      BigInt64Array.from({ length: n }, () => 1n),
      [batch, length],
    ),
  };
}

export function floatData(outputs: Record<string, OrtTensor>, name: string): Float32Array {
  const t = outputs[name];
  assert.ok(t, `no output "${name}"`);
  assert.equal(t.type, 'float32', `${name} is ${t.type}`);
  return t.data as Float32Array;
}

/** max |a − b| / max |b|: a scale-free error that is 0 for identical outputs. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs two models on the same feeds; returns the relative error of `output`. */
export async function compareModels(
  reference: Model,
  candidate: Model,
  feeds: OrtFeeds,
  output: string,
): Promise<number> {
  const expected = floatData(await runModel(reference, feeds), output);
  const actual = floatData(await runModel(candidate, feeds), output);
  return relativeError(actual, expected);
}

export interface LogitAgreement {
  /** Mean cosine similarity of the logit vectors, per position. */
  readonly cosine: number;
  /** Share of positions where both argmaxes agree. */
  readonly top1: number;
  /** Share of positions where the reference argmax is in the candidate's top 5. */
  readonly top5: number;
  readonly positions: number;
}

/** Per-position agreement of two logit tensors [..., vocab]. */
export function logitAgreement(
  reference: Float32Array,
  candidate: Float32Array,
  vocab: number,
): LogitAgreement {
  const positions = reference.length / vocab;
  let cosine = 0;
  let top1 = 0;
  let top5 = 0;
  for (let p = 0; p < positions; p++) {
    const o = p * vocab;
    let dot = 0;
    let na = 0;
    let nb = 0;
    let a = 0;
    let b = 0;
    for (let v = 0; v < vocab; v++) {
      const x = reference[o + v]!;
      const y = candidate[o + v]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
      if (x > reference[o + a]!) a = v;
      if (y > candidate[o + b]!) b = v;
    }
    cosine += dot / Math.sqrt(na * nb);
    if (a === b) top1++;
    let above = 0;
    for (let v = 0; v < vocab; v++) if (candidate[o + v]! > candidate[o + a]!) above++;
    if (above < 5) top5++;
  }
  return { cosine: cosine / positions, top1: top1 / positions, top5: top5 / positions, positions };
}

/** Combines agreements over several batches, weighting by positions. */
export function mergeAgreement(parts: readonly LogitAgreement[]): LogitAgreement {
  const positions = parts.reduce((s, p) => s + p.positions, 0);
  const mean = (key: 'cosine' | 'top1' | 'top5') =>
    parts.reduce((s, p) => s + p[key] * p.positions, 0) / positions;
  return { cosine: mean('cosine'), top1: mean('top1'), top5: mean('top5'), positions };
}

/** y = x · W (+ b) with x [M, K] as input "x": the smallest linear layer. */
export function linearModel(
  rng: Rng,
  k: number,
  n: number,
  options: { bias?: 'first' | 'second' | 'none'; biasDims?: readonly number[]; opset?: number } = {},
): Model {
  const b = GraphBuilder.create({ opsets: { '': options.opset ?? 17 } });
  const x = b.input('x', DataType.FLOAT, ['m', k]);
  const w = b.initializer(randomTensor(rng, 'w', [k, n]));
  const mm = b.op('MatMul', [x, w], {}, { name: 'linear/MatMul' });
  const bias = options.bias ?? 'second';
  if (bias === 'none') {
    b.output(b.op('Identity', [mm], {}, { outputs: ['y'] }), { elemType: DataType.FLOAT });
    return b.toModel();
  }
  const bt = b.initializer(randomTensor(rng, 'bias', options.biasDims ?? [n]));
  const inputs = bias === 'first' ? [bt, mm] : [mm, bt];
  b.output(b.op('Add', inputs, {}, { name: 'linear/Add', outputs: ['y'] }), { elemType: DataType.FLOAT });
  return b.toModel();
}

/** Serialises the model's graph to compare before/after a pass (purity). */
export function snapshot(graph: Graph): Graph {
  return structuredClone(graph);
}
