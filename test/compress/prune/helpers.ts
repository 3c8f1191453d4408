/** Shared pieces of the pruning tests: tiny TLC models, feeds, change filters, tensor edits. */
import assert from 'node:assert/strict';
import { makeConfig, type TransformerConfig } from '../../../src/models/config.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import { buildSeq2Seq } from '../../../src/models/seq2seq.js';
import type { Graph, Model, Node, Tensor } from '../../../src/onnx/ir.js';
import type { PassChange } from '../../../src/onnx/passes/pass.js';
import { allNodes } from '../../../src/onnx/traverse.js';
import type { OrtFeeds } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { i64 } from '../../helpers/ort.js';

export function tinyConfig(overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  return makeConfig({
    vocabSize: 50,
    dModel: 32,
    layers: 2,
    heads: 4,
    ffn: 64,
    maxLength: 16,
    dropout: 0,
    attentionDropout: 0,
    ...overrides,
  });
}

export function tinyEncoder(overrides: Partial<TransformerConfig> = {}, seed = 1): Model {
  return buildMlmEncoder(tinyConfig(overrides), { rng: Rng.seeded(seed), head: 'logits', dropout: false })
    .model;
}

export function tinySeq2Seq(overrides: Partial<TransformerConfig> = {}, seed = 1): Model {
  return buildSeq2Seq(tinyConfig(overrides), { rng: Rng.seeded(seed), head: 'logits', dropout: false }).model;
}

/** input_ids / attention_mask [2, 7] with one padded position, ids below `vocab`. */
export function textFeeds(vocab: number, withDecoder = false): OrtFeeds {
  const ids = Array.from({ length: 14 }, (_, i) => (i * 7 + 3) % vocab);
  const mask = Array.from({ length: 14 }, (_, i) => (i === 13 ? 0 : 1));
  const feeds: OrtFeeds = { input_ids: i64(ids, [2, 7]), attention_mask: i64(mask, [2, 7]) };
  if (withDecoder) feeds.decoder_input_ids = i64(ids.slice(0, 10), [2, 5]);
  return feeds;
}

export function withGraph(model: Model, graph: Graph): Model {
  return { ...model, graph };
}

export function applied(changes: readonly PassChange[]): PassChange[] {
  return changes.filter((c) => c.kind === 'applied');
}

export function declinedFor(changes: readonly PassChange[], target: string): PassChange {
  const c = changes.find((x) => x.kind === 'declined' && x.target === target);
  assert.ok(
    c,
    `no declined change for "${target}"; got ${JSON.stringify(changes.map((x) => `${x.kind} ${x.target}`))}`,
  );
  return c;
}

export function histogram(graph: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of allNodes(graph)) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}

export function init(graph: Graph, name: string): Tensor {
  const t = graph.initializers.get(name);
  assert.ok(t, `no initializer "${name}"`);
  return t;
}

/** A copy of the graph with `edit` applied to a copy of one float32 initializer's data. */
export function editWeight(
  graph: Graph,
  name: string,
  edit: (data: Float32Array, dims: readonly number[]) => void,
): Graph {
  const t = init(graph, name);
  const data = Float32Array.from(t.data as Float32Array);
  edit(data, t.dims);
  const initializers = new Map(graph.initializers);
  initializers.set(name, { ...t, data });
  return { ...graph, initializers };
}

/** Zeroes columns [from, from + count) of a 2-D (or entries of a 1-D) float32 tensor. */
export function zeroColumns(data: Float32Array, dims: readonly number[], from: number, count: number): void {
  const cols = dims[dims.length - 1]!;
  const rows = data.length / cols;
  for (let r = 0; r < rows; r++) data.fill(0, r * cols + from, r * cols + from + count);
}

export function zeroRows(data: Float32Array, dims: readonly number[], from: number, count: number): void {
  const cols = dims[1]!;
  data.fill(0, from * cols, (from + count) * cols);
}

export function nodesOf(graph: Graph, opType: string): Node[] {
  return graph.nodes.filter((n) => n.opType === opType);
}

/** Largest absolute difference of two float arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Deterministic pseudo-random floats in (−1, 1). */
export function randomFloats(n: number, seed: number): Float32Array {
  const rng = Rng.seeded(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}
