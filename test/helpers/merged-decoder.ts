/**
 * Optimum's merged decoder built from TLC's two decoder graphs, as `optimum-cli export onnx` lays it out: one
 * graph whose inputs are both graphs' inputs plus `use_cache_branch` (bool [1]), and one If node — then: the
 * with-past graph, whose cross-attention cache is passed through (present.{i}.encoder.* = past); else: the
 * first-step graph. Each branch's own values are prefixed so that no name shadows the outer scope; the weights
 * both graphs hold alike are stored once in the main graph, as Optimum's merge does.
 */
import { join } from 'node:path';
import { makeConfig } from '../../src/models/config.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { buildCachedDecoder } from '../../src/models/seq2seq-cached.js';
import { DataType } from '../../src/onnx/dtype.js';
import { allDefinedNames } from '../../src/onnx/graph-index.js';
import { saveModel } from '../../src/onnx/io.js';
import type { Graph, Model, Node, ValueInfo } from '../../src/onnx/ir.js';
import { hoistSharedConstants } from '../../src/onnx/passes/hoist-shared-constants.js';
import { renameValues } from '../../src/onnx/passes/rename.js';
import { Rng } from '../../src/util/rng.js';
import { perturbedSeq2Seq } from './seq2seq-weights.js';

/** The graph as an If branch: no inputs of its own (it reads the outer ones), its values prefixed. */
function asBranch(graph: Graph, prefix: string): Graph {
  const outer = new Set(graph.inputs.map((v) => v.name));
  const mapping = new Map(
    [...allDefinedNames(graph)].filter((n) => !outer.has(n)).map((n) => [n, `${prefix}${n}`] as const),
  );
  const renamed = renameValues(graph, { mapping }).graph;
  return { ...renamed, name: `${graph.name}_${prefix.replace(/\W/g, '')}`, inputs: [] };
}

export function mergeDecoders(decoder: Model, withPast: Model): Model {
  const outputs = decoder.graph.outputs;
  const elseBranch = asBranch(decoder.graph, 'else/');
  const then = asBranch(withPast.graph, 'then/');
  // The with-past graph does not output the cross-attention cache: pass the past one through.
  const passThrough: Node[] = [];
  const thenOutputs: ValueInfo[] = outputs.map((o) => {
    const own = then.outputs.find((t) => t.name === `then/${o.name}`);
    if (own !== undefined) return own;
    const past = o.name.replace(/^present\./, 'past_key_values.');
    passThrough.push({
      name: `then/pass_${o.name}`,
      opType: 'Identity',
      domain: '',
      inputs: [past],
      outputs: [`then/${o.name}`],
      attributes: {},
    });
    return { ...o, name: `then/${o.name}` };
  });
  const thenBranch: Graph = { ...then, nodes: [...then.nodes, ...passThrough], outputs: thenOutputs };
  const inputs = [...decoder.graph.inputs];
  for (const v of withPast.graph.inputs) if (!inputs.some((i) => i.name === v.name)) inputs.push(v);
  inputs.push({ name: 'use_cache_branch', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [1] } });
  const ifNode: Node = {
    name: 'optimum::if',
    opType: 'If',
    domain: '',
    inputs: ['use_cache_branch'],
    outputs: outputs.map((o) => o.name),
    attributes: {
      then_branch: { type: 'GRAPH', value: thenBranch },
      else_branch: { type: 'GRAPH', value: elseBranch },
    },
  };
  const graph: Graph = {
    name: 'decoder_model_merged',
    nodes: [ifNode],
    inputs,
    outputs,
    valueInfo: [],
    initializers: new Map(),
    sparseInitializers: [],
  };
  // Optimum stores the weights both decoders share once, in the main graph, read by both branches.
  return { ...decoder, graph: hoistSharedConstants(graph).graph };
}

/** The small seq2seq model the merged-decoder tests use: 2 + 2 layers × 16, vocabulary 60, 24 positions. */
export const TINY_SEQ2SEQ = makeConfig({
  vocabSize: 60,
  dModel: 16,
  layers: 2,
  heads: 2,
  ffn: 32,
  maxLength: 24,
  dropout: 0,
  attentionDropout: 0,
});

/**
 * Writes TINY_SEQ2SEQ's graphs (perturbed random weights) under `dir` with Optimum's names: encoder_model.onnx,
 * and decoder_model.onnx + decoder_with_past_model.onnx and/or decoder_model_merged.onnx.
 */
export function writeSeq2SeqGraphs(dir: string, decoders: 'split' | 'merged' | 'both'): void {
  const config = TINY_SEQ2SEQ;
  const { bake } = perturbedSeq2Seq(config);
  const encoder = bake(buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'encoder', dropout: false }).model);
  const mapping = new Map([['encoder_hidden_states', 'last_hidden_state']]);
  saveModel(
    { ...encoder, graph: renameValues(encoder.graph, { mapping }).graph },
    join(dir, 'encoder_model.onnx'),
  );
  const first = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: false }).model);
  const next = bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: true }).model);
  if (decoders !== 'merged') {
    saveModel(first, join(dir, 'decoder_model.onnx'));
    saveModel(next, join(dir, 'decoder_with_past_model.onnx'));
  }
  if (decoders !== 'split') saveModel(mergeDecoders(first, next), join(dir, 'decoder_model_merged.onnx'));
}
