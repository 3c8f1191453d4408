/**
 * A seq2seq model compressed as one model (issue 28): the PyTorch Marian fixture through `compress()`, in the
 * split layout (decoder_model + decoder_with_past_model) and Optimum's merged one (decoder_model_merged, an If on
 * use_cache_branch). heads:0.25 drops a quarter of every attention block's heads; prune:0.5 gives the matrices
 * the decoder files share (under different exporter names) one mask; int8 shrinks the merged decoder as much
 * as the split ones; static-int8 quantizes inside the merged decoder's branches.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyRecipe, crossFileChoices } from '../../src/compress/apply-recipe.js';
import { compress } from '../../src/compress/compress.js';
import { magnitudePrune, selectPrunableWeights } from '../../src/compress/prune/magnitude.js';
import { structuredPrune } from '../../src/compress/prune/structured/prune.js';
import { fingerprint } from '../../src/compress/prune/structured/same-weights.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { CompressReport, VariantReport } from '../../src/compress/report.js';
import { encodeModel, loadModel, saveModel } from '../../src/onnx/io.js';
import type { Graph, Model, Node } from '../../src/onnx/ir.js';
import { mapNames } from '../../src/onnx/passes/rename.js';
import { tensorToFloat32 } from '../../src/onnx/tensor-values.js';
import { walkGraphs } from '../../src/onnx/traverse.js';
import { createSession, runSession } from '../../src/ort/session.js';
import { writeBertTokenizer } from '../helpers/foreign.js';
import { mergeMarianDecoders } from '../helpers/marian-merged.js';
import { loadMarian, MARIAN_DIR } from '../helpers/marian-tiny.js';

const MARIAN_CONFIG = {
  architectures: ['MarianMTModel'],
  model_type: 'marian',
  vocab_size: 512,
  d_model: 64,
  encoder_layers: 2,
  decoder_layers: 2,
  encoder_attention_heads: 4,
  decoder_attention_heads: 4,
  pad_token_id: 1,
  eos_token_id: 2,
  decoder_start_token_id: 1,
  max_position_embeddings: 64,
};
const SPLIT_FILES = ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx'];
const RECIPES = ['prune:0.5', 'int8', 'static-int8'];

const root = mkdtempSync(join(tmpdir(), 'tlc-seq2seq-one-model-'));
after(() => rmSync(root, { recursive: true, force: true }));

function writeFolder(dir: string, graphs: (path: string) => void): string {
  mkdirSync(dir, { recursive: true });
  graphs(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(MARIAN_CONFIG));
  writeBertTokenizer(dir, MARIAN_CONFIG.vocab_size);
  return dir;
}

async function compressFolder(source: string, out: string, recipes = RECIPES): Promise<CompressReport> {
  return compress(source, out, {
    recipes: recipes.map((r) => parseRecipe(r)),
    latency: false,
    threads: 1,
    batch: 2,
    sequence: 8,
  });
}

function variant(report: CompressReport, recipe: string): VariantReport {
  const v = report.variants.find((x) => x.recipe === recipe);
  assert.ok(v !== undefined, `no variant ${recipe} in ${report.variants.map((x) => x.recipe).join(', ')}`);
  return v;
}

/**
 * The dense value of a weight in a written file: an initializer, or the output of the constant subgraph that
 * sparse-encode.ts writes under the weight's name (run alone in ONNX Runtime).
 */
async function denseWeight(model: Model, name: string): Promise<Float32Array> {
  const direct = model.graph.initializers.get(name);
  if (direct !== undefined) return tensorToFloat32(direct);
  const producers = new Map<string, Node>();
  for (const n of model.graph.nodes) for (const o of n.outputs) producers.set(o, n);
  const needed = new Set<Node>();
  const visit = (value: string) => {
    const p = producers.get(value);
    if (p === undefined || needed.has(p)) return;
    needed.add(p);
    for (const i of p.inputs) if (i !== '') visit(i);
  };
  visit(name);
  assert.ok(needed.size > 0, `"${name}" is neither an initializer nor computed`);
  const graph: Graph = {
    ...model.graph,
    nodes: model.graph.nodes.filter((n) => needed.has(n)),
    inputs: [],
    outputs: [{ name }],
    valueInfo: [],
  };
  const session = await createSession(encodeModel({ ...model, graph }));
  try {
    return (await runSession(session, {}))[name]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function zeroPattern(values: Float32Array): string {
  return Array.from(values, (v) => (v === 0 ? '0' : '1')).join('');
}

function attentionHeads(graph: Graph): number[] {
  return structuredPrune(graph, { heads: 0.5 })
    .report.blocks.filter((b) => b.kind === 'attention')
    .map((b) => b.units);
}

/** Bytes of the initializers of the whole graph tree (what int8 shrinks; the nodes are not counted). */
function weightBytes(model: Model): number {
  let bytes = 0;
  walkGraphs(model.graph, (g) => {
    for (const t of g.initializers.values()) bytes += (t.data as { readonly byteLength: number }).byteLength;
  });
  return bytes;
}

describe('a seq2seq model compressed as one model', () => {
  const base = loadMarian();
  let split: CompressReport;
  let merged: CompressReport;
  const splitOut = join(root, 'split-out');
  const mergedOut = join(root, 'merged-out');

  before(async () => {
    const splitDir = writeFolder(join(root, 'split'), (dir) => {
      for (const f of SPLIT_FILES) copyFileSync(join(MARIAN_DIR, f), join(dir, f));
    });
    const mergedDir = writeFolder(join(root, 'merged'), (dir) => {
      copyFileSync(join(MARIAN_DIR, 'encoder_model.onnx'), join(dir, 'encoder_model.onnx'));
      saveModel(mergeMarianDecoders(base), join(dir, 'decoder_model_merged.onnx'));
    });
    split = await compressFolder(splitDir, splitOut);
    merged = await compressFolder(mergedDir, mergedOut);
  });

  // A head-pruned decoder_with_past takes past keys/values with 3 heads: compress-variant.ts leaves its drift out
  // (fp32's 4-head feeds do not fit) instead of failing.
  it('heads:0.25 removes a quarter of the heads of every attention block, in both layouts', async () => {
    for (const layout of ['split', 'merged']) {
      const out = join(root, `${layout}-heads`);
      const report = await compressFolder(join(root, layout), out, ['heads:0.25']);
      const v = variant(report, 'heads:0.25');
      assert.equal(v.kept, true, v.reason);
      for (const f of v.files) {
        const heads = attentionHeads(loadModel(join(out, f)).graph);
        assert.ok(heads.length > 0, `${f}: no attention block seen`);
        assert.deepEqual(
          heads,
          heads.map(() => 3),
          `${f}: heads per block ${heads.join(', ')}`,
        );
      }
    }
  });

  it("heads:0.25 through the recipe's cross-file choice: a quarter of every block's heads, in both layouts", () => {
    const recipe = parseRecipe('heads:0.25');
    const layouts: [string[], Model[]][] = [
      [SPLIT_FILES, [base.encoder, base.decoder, base.decoderWithPast]],
      [
        ['encoder_model.onnx', 'decoder_model_merged.onnx'],
        [base.encoder, mergeMarianDecoders(base)],
      ],
    ];
    for (const [files, models] of layouts) {
      const shared = crossFileChoices(files, models, recipe);
      models.forEach((m, i) => {
        const before = attentionHeads(m.graph);
        const after = attentionHeads(applyRecipe(m, recipe, {}, shared[i]).model.graph);
        assert.deepEqual(
          before,
          before.map(() => 4),
          files[i],
        );
        assert.deepEqual(
          after,
          before.map(() => 3),
          `${files[i]}: heads per block ${after.join(', ')}`,
        );
      });
    }
  });

  it('prune:0.5 gives the matrices the decoder files share one mask (matched by their fp32 content)', async () => {
    const v = variant(split, 'prune:0.5');
    assert.equal(v.kept, true, v.reason);
    const first = loadModel(join(splitOut, v.files[1]!));
    const cached = loadModel(join(splitOut, v.files[2]!));
    const byContent = new Map<string, string>();
    for (const t of base.decoder.graph.initializers.values())
      if (t.dims.length === 2) byContent.set(fingerprint(t), t.name);
    let shared = 0;
    for (const { tensor: t } of selectPrunableWeights(base.decoderWithPast.graph, {}, 'test', [])) {
      const twin = byContent.get(fingerprint(t));
      if (twin === undefined) continue;
      const [a, b] = [await denseWeight(first, twin), await denseWeight(cached, t.name)];
      const zeros = a.filter((x) => x === 0).length / a.length;
      assert.ok(zeros > 0.2 && zeros < 0.8, `${twin}: sparsity ${zeros}`);
      assert.equal(zeroPattern(a), zeroPattern(b), `${twin} and ${t.name} pruned differently`);
      shared++;
    }
    assert.equal(shared, 16);
  });

  it("prunes a merged decoder's weights in the main graph, and a branch's own copies with the same mask", () => {
    const withCopies = branchCopies(mergeMarianDecoders(base));
    const r = magnitudePrune(withCopies.graph, { sparsity: 0.5 });
    const main = r.graph.initializers;
    const cachedBranch = branchesOf(r.graph).find((g) => g.name === 'cached')!;
    let copies = 0;
    for (const [name, t] of cachedBranch.initializers) {
      const original = main.get(name.slice(COPY.length))!;
      const [a, b] = [tensorToFloat32(original), tensorToFloat32(t)];
      assert.ok(a.filter((x) => x === 0).length > 0.2 * a.length, `${original.name} was not pruned`);
      assert.equal(zeroPattern(a), zeroPattern(b), `${name} pruned unlike ${original.name}`);
      copies++;
    }
    assert.ok(copies >= 16, `${copies} copies`);
  });

  it('shrinks the merged int8 decoder as much as the split ones (weight bytes: graph overhead dominates here)', () => {
    const ratio = (out: string, files: readonly string[], fp32: readonly string[]) =>
      sum(files.map((f) => weightBytes(loadModel(join(out, f))))) /
      sum(fp32.map((f) => weightBytes(loadModel(join(out, f)))));
    const splitRatio = ratio(splitOut, variant(split, 'int8').files.slice(1), SPLIT_FILES.slice(1));
    const mergedRatio = ratio(mergedOut, variant(merged, 'int8').files.slice(1), [
      'decoder_model_merged.onnx',
    ]);
    // The fixture is tiny: the merged fp32 decoder file is 882 KB for 682 KB of weights, and its int8 file 400 KB
    // for 200 KB, the rest being the two branches' nodes. File sizes would measure the graph, so the weight bytes
    // are compared (measured: 29.3% merged, 29.4% split).
    assert.ok(Math.abs(mergedRatio - splitRatio) <= 0.02, `merged ${mergedRatio}, split ${splitRatio}`);
    assert.ok(mergedRatio <= 0.3, `merged int8 decoder weights at ${mergedRatio} of fp32`);
  });

  it("static-int8 quantizes inside the merged decoder's branches, as in the split files", () => {
    const v = variant(merged, 'static-int8');
    assert.equal(v.kept, true, v.reason);
    assert.deepEqual(
      v.declined.filter((d) => d.includes('no calibration range')),
      [],
    );
    const decoder = loadModel(join(mergedOut, v.files[1]!));
    for (const branch of branchesOf(decoder.graph)) {
      const quantized = branch.nodes.filter((n) => n.opType === 'QuantizeLinear').length;
      assert.ok(quantized >= 10, `${branch.name}: ${quantized} QuantizeLinear nodes`);
      assert.equal(
        branch.nodes.filter((n) => n.opType === 'MatMul' && branch.initializers.has(n.inputs[1] ?? ''))
          .length,
        0,
      );
    }
    assert.equal(v.applied, variant(split, 'static-int8').applied);
    assert.ok(v.drift.meanCosine > 0.99, `cosine ${v.drift.meanCosine}`);
  });
});

const COPY = 'copy/';

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function branchesOf(graph: Graph): Graph[] {
  return graph.nodes
    .filter((n) => n.opType === 'If')
    .flatMap((n) => Object.values(n.attributes).flatMap((a) => (a.type === 'GRAPH' ? [a.value] : [])));
}

/** The merged decoder with its cached branch holding its own copies of the 2-D weights it reads. */
function branchCopies(model: Model): Model {
  const main = model.graph.initializers;
  const ifNode = model.graph.nodes[0]!;
  const attr = ifNode.attributes.then_branch!;
  assert.ok(attr.type === 'GRAPH');
  const reads = new Set(attr.value.nodes.flatMap((n) => n.inputs));
  const prunable = new Set(selectPrunableWeights(model.graph, {}, 'test', []).map((c) => c.tensor.name));
  const copied = [...main.values()].filter((t) => prunable.has(t.name) && reads.has(t.name));
  const renamed = mapNames(
    attr.value,
    (n) => (copied.some((t) => t.name === n) ? `${COPY}${n}` : n),
    { definitions: false, mainOutputs: false },
    false,
  );
  const then: Graph = {
    ...renamed,
    initializers: new Map(copied.map((t) => [`${COPY}${t.name}`, { ...t, name: `${COPY}${t.name}` }])),
  };
  const node: Node = {
    ...ifNode,
    attributes: { ...ifNode.attributes, then_branch: { type: 'GRAPH', value: then } },
  };
  return { ...model, graph: { ...model.graph, nodes: [node] } };
}
