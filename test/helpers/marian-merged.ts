/**
 * Optimum's merged decoder built from the Marian fixture's two decoder files, as `merge_decoders` builds it: one
 * graph whose `use_cache_branch` input picks an If branch (else: decoder_model, the first step; then:
 * decoder_with_past_model, whose cross-attention presents pass the past through), the weights of both stored
 * once in the main graph (matched by content: the exporter names them differently per file) and read by the
 * branches from the enclosing scope. Greedy decoding through it feeds zero-length past tensors at the first step.
 */
import { createHash } from 'node:crypto';
import { encodeModel } from '../../src/onnx/io.js';
import type { Graph, Model, Node, Tensor, ValueInfo } from '../../src/onnx/ir.js';
import { mapNames } from '../../src/onnx/passes/rename.js';
import { boolTensor, tensorBytes } from '../../src/onnx/tensor.js';
import { createSession, type OrtTensor, ortTensor, runSession } from '../../src/ort/session.js';
import type { MarianExpected, MarianModels } from './marian-tiny.js';
import { i64 } from './ort.js';

const USE_CACHE = 'use_cache_branch';

function key(t: Tensor): string {
  return createHash('sha256').update(`${t.dataType}:${t.dims}:`).update(tensorBytes(t)).digest('hex');
}

/** A branch body: the file's nodes with its own values renamed under `prefix`, reading weights from outside. */
function branch(
  g: Graph,
  prefix: string,
  outer: ReadonlySet<string>,
  weights: ReadonlyMap<string, string>,
): Graph {
  const body: Graph = { ...g, inputs: [], initializers: new Map(), valueInfo: [] };
  const rename = (n: string) => weights.get(n) ?? (outer.has(n) ? n : `${prefix}${n}`);
  return mapNames(body, rename, { definitions: true, mainOutputs: true });
}

export function mergeMarianDecoders(m: MarianModels): Model {
  const first = m.decoder.graph;
  const cached = m.decoderWithPast.graph;
  const initializers = new Map(first.initializers);
  const byContent = new Map([...first.initializers.values()].map((t) => [key(t), t.name]));
  const weights = new Map<string, string>();
  for (const t of cached.initializers.values()) {
    const same = byContent.get(key(t));
    const name = same ?? `cached/${t.name}`;
    weights.set(t.name, name);
    if (same === undefined) initializers.set(name, { ...t, name });
  }
  const inputs: ValueInfo[] = [
    ...first.inputs,
    ...cached.inputs.filter((v) => !first.inputs.some((f) => f.name === v.name)),
    { name: USE_CACHE, type: { kind: 'tensor', elemType: 9, shape: [1] } },
  ];
  const outer = new Set(inputs.map((v) => v.name));
  const elseBranch = branch(
    first,
    'first/',
    outer,
    new Map([...first.initializers.keys()].map((n) => [n, n])),
  );
  const thenBody = branch(cached, 'cached/', outer, weights);
  // The cached branch returns the cross-attention past as its present (Optimum adds these Identity nodes).
  const passThrough: Node[] = [];
  const thenOutputs = first.outputs.map((o): ValueInfo => {
    const mine = thenBody.outputs.find((t) => t.name === `cached/${o.name}`);
    if (mine !== undefined) return { ...o, name: mine.name };
    const name = `cached/${o.name}`;
    const past = o.name.replace('present.', 'past_key_values.');
    passThrough.push({
      name: `${name}/Identity`,
      opType: 'Identity',
      domain: '',
      inputs: [past],
      outputs: [name],
      attributes: {},
    });
    return { ...o, name };
  });
  const thenBranch: Graph = { ...thenBody, nodes: [...thenBody.nodes, ...passThrough], outputs: thenOutputs };
  const elseTyped: Graph = {
    ...elseBranch,
    outputs: first.outputs.map((o, i) => ({ ...o, name: elseBranch.outputs[i]!.name })),
  };
  const ifNode: Node = {
    name: 'decoder_if',
    opType: 'If',
    domain: '',
    inputs: [USE_CACHE],
    outputs: first.outputs.map((o) => o.name),
    attributes: {
      then_branch: { type: 'GRAPH', value: { ...thenBranch, name: 'cached' } },
      else_branch: { type: 'GRAPH', value: { ...elseTyped, name: 'first' } },
    },
  };
  return {
    ...m.decoder,
    graph: { ...first, name: 'merged', nodes: [ifNode], inputs, initializers, valueInfo: [] },
  };
}

/** Greedy decoding with the encoder and a merged decoder (empty past at the first step). */
export async function greedyMerged(
  encoder: Model,
  merged: Model,
  e: MarianExpected,
  heads: number,
  steps: number,
): Promise<{ tokens: number[][]; stepLogits: Float32Array[] }> {
  const enc = await createSession(encodeModel(encoder));
  const dec = await createSession(encodeModel(merged));
  try {
    const batch = e.input_ids.length;
    const dims = [batch, e.input_ids[0]!.length];
    const mask = i64(e.attention_mask.flat(), dims);
    const hidden = (await runSession(enc, { input_ids: i64(e.input_ids.flat(), dims), attention_mask: mask }))
      .last_hidden_state!;
    const head = (hidden.dims[2] as number) / e.heads;
    const past: Record<string, OrtTensor> = {};
    for (const v of merged.graph.inputs)
      if (v.name.startsWith('past_key_values.'))
        past[v.name] = ortTensor('float32', new Float32Array(0), [batch, heads, 0, head]);
    let ids = new Array<number>(batch).fill(e.decoder_start);
    let cache = false;
    const tokens: number[][] = Array.from({ length: batch }, () => []);
    const stepLogits: Float32Array[] = [];
    const done = new Array<boolean>(batch).fill(false);
    for (let step = 0; step < steps; step++) {
      const flag = boolTensor(USE_CACHE, [1], [cache]).data as Uint8Array;
      const out = await runSession(dec, {
        input_ids: i64(ids, [batch, 1]),
        encoder_attention_mask: mask,
        encoder_hidden_states: hidden,
        ...past,
        [USE_CACHE]: ortTensor('bool', flag, [1]),
      });
      const logits = out.logits!.data as Float32Array;
      const vocab = logits.length / batch;
      stepLogits.push(logits);
      ids = Array.from({ length: batch }, (_, b) => {
        if (done[b]) return e.pad;
        const row = logits.subarray(b * vocab, (b + 1) * vocab);
        let best = 0;
        for (let j = 1; j < vocab; j++) if (row[j]! > row[best]!) best = j;
        if (best === e.eos) done[b] = true;
        return best;
      });
      for (const [b, t] of ids.entries()) tokens[b]!.push(t);
      for (const [name, t] of Object.entries(out))
        if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = t;
      cache = true;
    }
    return { tokens, stepLogits };
  } finally {
    await enc.release();
    await dec.release();
  }
}
