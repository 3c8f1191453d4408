/**
 * Structured pruning: shapes and op counts after removing heads and neurons, outputs identical to the dense
 * model when the removed units were zeroed beforehand (a head with zero Q/K/V columns, biases and output rows
 * contributes exactly nothing; so does a neuron with a zero W_up column, bias and W_down row), on TLC's
 * encoder (gelu, tanh-gelu, relu; post- and pre-LN), its encoder-decoder (self and cross attention), the
 * PyTorch fixtures and If subgraphs, and the reasons given where it declines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSparseWeights, magnitudePrune, structuredPrune } from '../../../src/compress/prune/index.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import {
  attr,
  DataType,
  float32Tensor,
  type Graph,
  GraphBuilder,
  loadModel,
  type Model,
  tensorToNumbers,
} from '../../../src/onnx/index.js';
import { Rng } from '../../../src/util/rng.js';
import { boolScalar, f32, runModel } from '../../helpers/ort.js';
import {
  applied,
  declinedFor,
  editWeight,
  histogram,
  init,
  maxDiff,
  nodesOf,
  randomFloats,
  textFeeds,
  tinyConfig,
  tinyEncoder,
  tinySeq2Seq,
  withGraph,
  zeroColumns,
  zeroRows,
} from './helpers.js';

const FIXTURES = new URL('../../fixtures/torch/', import.meta.url).pathname;

async function logits(model: Model, withDecoder = false, vocab = 50): Promise<Float32Array> {
  const out = await runModel(model, textFeeds(vocab, withDecoder));
  return out.logits!.data as Float32Array;
}

/** Zeroes head `h` of a TLC attention: its Q/K/V columns and biases and its output-projection rows. */
function zeroTlcHead(graph: Graph, prefix: string, h: number, d: number, dh: number, cross = false): Graph {
  let g = graph;
  const cols = (name: string, parts: number) => {
    for (const suffix of ['weight', 'bias']) {
      g = editWeight(g, `${name}.${suffix}`, (data, dims) => {
        for (let p = 0; p < parts; p++) zeroColumns(data, dims, p * d + h * dh, dh);
      });
    }
  };
  if (cross) {
    cols(`${prefix}.q`, 1);
    cols(`${prefix}.kv`, 2);
  } else cols(`${prefix}.qkv`, 3);
  return editWeight(g, `${prefix}.out.weight`, (data, dims) => zeroRows(data, dims, h * dh, dh));
}

/** Zeroes neurons [from, from + count) of a TLC feed-forward block. */
function zeroTlcNeurons(graph: Graph, prefix: string, from: number, count: number): Graph {
  let g = editWeight(graph, `${prefix}.up.weight`, (data, dims) => zeroColumns(data, dims, from, count));
  g = editWeight(g, `${prefix}.up.bias`, (data, dims) => zeroColumns(data, dims, from, count));
  return editWeight(g, `${prefix}.down.weight`, (data, dims) => zeroRows(data, dims, from, count));
}

describe('structuredPrune on TLC encoders', () => {
  it('with nothing to remove returns the same graph and reports every block', () => {
    const model = tinyEncoder();
    const { graph, changes, report } = structuredPrune(model.graph, { heads: 0, ffn: 0 });
    assert.equal(graph, model.graph);
    assert.equal(applied(changes).length, 0);
    assert.deepEqual(
      report.blocks.map((b) => [b.kind, b.weights.join(' '), b.units, b.kept]),
      [
        ['attention', 'layers.0.attn.qkv.weight layers.0.attn.out.weight', 4, 4],
        ['ffn', 'layers.0.ffn.up.weight layers.0.ffn.down.weight', 64, 64],
        ['attention', 'layers.1.attn.qkv.weight layers.1.attn.out.weight', 4, 4],
        ['ffn', 'layers.1.ffn.up.weight layers.1.ffn.down.weight', 64, 64],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
  });

  it('shrinks Q/K/V columns, biases, Split sizes, head-count reshapes, output rows and FFN matrices', async () => {
    const model = tinyEncoder();
    const { graph, changes } = structuredPrune(model.graph, { heads: 0.5, ffn: 0.5 });
    assert.deepEqual(histogram(graph), histogram(model.graph), 'same ops, smaller tensors');
    assert.equal(applied(changes).length, 4);
    for (const l of [0, 1]) {
      assert.deepEqual(init(graph, `layers.${l}.attn.qkv.weight`).dims, [32, 48]);
      assert.deepEqual(init(graph, `layers.${l}.attn.qkv.bias`).dims, [48]);
      assert.deepEqual(init(graph, `layers.${l}.attn.out.weight`).dims, [16, 32]);
      assert.deepEqual(init(graph, `layers.${l}.ffn.up.weight`).dims, [32, 32]);
      assert.deepEqual(init(graph, `layers.${l}.ffn.up.bias`).dims, [32]);
      assert.deepEqual(init(graph, `layers.${l}.ffn.down.weight`).dims, [32, 32]);
    }
    const constantOf = (name: string) => tensorToNumbers(init(graph, name));
    for (const split of nodesOf(graph, 'Split')) assert.deepEqual(constantOf(split.inputs[1]!), [16, 16, 16]);
    const shapes = nodesOf(graph, 'Reshape')
      .filter((r) => graph.initializers.has(r.inputs[1]!))
      .map((r) => constantOf(r.inputs[1]!).join(','));
    assert.equal(shapes.filter((s) => s === '0,0,2,8').length, 6, 'q, k, v of both layers: 2 heads of 8');
    assert.equal(shapes.filter((s) => s === '0,0,16').length, 2, 'merged heads: 16 wide');
    // The old shared shape constants are gone; the input graph still has its own.
    assert.equal(graph.initializers.size, model.graph.initializers.size);
    assert.deepEqual(init(model.graph, 'layers.0.attn.qkv.weight').dims, [32, 96], 'pure');
    const out = await runModel(withGraph(model, graph), textFeeds(50));
    assert.deepEqual(out.logits!.dims, [2, 7, 50]);
  });

  for (const variant of [
    { activation: 'gelu' as const, preLayerNorm: false },
    { activation: 'gelu_tanh' as const, preLayerNorm: true },
    { activation: 'relu' as const, preLayerNorm: false },
    { activation: 'gelu' as const, preLayerNorm: true, positions: 'alibi' as const },
  ]) {
    it(`removing zeroed heads and neurons keeps outputs identical (${variant.activation}, ${variant.preLayerNorm ? 'pre' : 'post'}-LN, ${variant.positions ?? 'learned'} positions)`, async () => {
      const model = tinyEncoder(variant, 3);
      let g = zeroTlcHead(model.graph, 'layers.0.attn', 1, 32, 8);
      g = zeroTlcHead(g, 'layers.1.attn', 3, 32, 8);
      g = zeroTlcNeurons(g, 'layers.0.ffn', 0, 8);
      g = zeroTlcNeurons(g, 'layers.1.ffn', 40, 8);
      const zeroed = withGraph(model, g);
      const { graph, report } = structuredPrune(g, { heads: 0.25, ffn: 0.125 });
      const removed = report.blocks.map(
        (b) =>
          `${b.weights[0]}: ${b.removed.length > 4 ? `${b.removed[0]}..${b.removed.at(-1)}` : b.removed}`,
      );
      assert.deepEqual(removed.sort(), [
        'layers.0.attn.qkv.weight: 1',
        'layers.0.ffn.up.weight: 0..7',
        'layers.1.attn.qkv.weight: 3',
        'layers.1.ffn.up.weight: 40..47',
      ]);
      if (variant.positions === 'alibi') {
        // Each layer keeps the slopes of its kept heads (−m for m = ½, ¼, ⅛, 1/16).
        const slopes = (name: string) => tensorToNumbers(init(graph, name));
        assert.deepEqual(slopes('layers.0.attn.alibi_slopes'), [-1 / 2, -1 / 8, -1 / 16]);
        assert.deepEqual(slopes('layers.1.attn.alibi_slopes'), [-1 / 2, -1 / 4, -1 / 8]);
        assert.deepEqual(init(graph, 'layers.1.attn.alibi_slopes').dims, [3, 1, 1]);
      }
      const diff = maxDiff(await logits(withGraph(model, graph)), await logits(zeroed));
      assert.ok(diff <= 1e-5, `max |Δlogit| ${diff}`);
    });
  }

  for (const positions of ['learned', 'alibi'] as const)
    it(`prunes self- and cross-attention heads of the encoder-decoder with identical outputs (${positions} positions)`, async () => {
      const model = tinySeq2Seq({ positions }, 2);
      let g = model.graph;
      g = zeroTlcHead(g, 'encoder.layers.0.attn', 0, 32, 8);
      g = zeroTlcHead(g, 'encoder.layers.1.attn', 2, 32, 8);
      g = zeroTlcHead(g, 'decoder.layers.0.self', 1, 32, 8);
      g = zeroTlcHead(g, 'decoder.layers.1.self', 3, 32, 8);
      g = zeroTlcHead(g, 'decoder.layers.0.cross', 2, 32, 8, true);
      g = zeroTlcHead(g, 'decoder.layers.1.cross', 0, 32, 8, true);
      const { graph, changes } = structuredPrune(g, { heads: 0.25 });
      assert.equal(applied(changes).length, 6);
      assert.deepEqual(init(graph, 'decoder.layers.0.cross.q.weight').dims, [32, 24]);
      assert.deepEqual(init(graph, 'decoder.layers.0.cross.kv.weight').dims, [32, 48]);
      assert.deepEqual(init(graph, 'decoder.layers.0.cross.out.weight').dims, [24, 32]);
      const diff = maxDiff(
        await logits(withGraph(model, graph), true),
        await logits(withGraph(model, g), true),
      );
      assert.ok(diff <= 1e-5, `max |Δlogit| ${diff}`);
    });

  it('composes: structured, then magnitude pruning, then sparse encoding', async () => {
    const model = tinyEncoder();
    const slim = structuredPrune(model.graph, { heads: 0.25, ffn: 0.5 }).graph;
    const sparse = magnitudePrune(slim, { sparsity: 0.7 }).graph;
    const encoded = encodeSparseWeights(sparse, { opset: 17, minElements: 256 });
    assert.equal(encoded.report.tensors.length, 9);
    const diff = maxDiff(
      await logits(withGraph(model, encoded.graph)),
      await logits(withGraph(model, sparse)),
    );
    assert.equal(diff, 0);
  });

  it('follows importance overrides and always keeps one head', () => {
    const model = tinyEncoder();
    const { report } = structuredPrune(model.graph, {
      heads: 1,
      scores: { heads: { 'layers.0.attn.out.weight': [4, 3, 9, 1] } },
    });
    const [first, second] = report.blocks.filter((b) => b.kind === 'attention');
    assert.deepEqual(first!.removed, [0, 1, 3], 'head 2 scored highest');
    assert.equal(first!.kept, 1);
    assert.equal(second!.kept, 1);
    assert.throws(
      () =>
        structuredPrune(model.graph, { heads: 0.5, scores: { heads: { 'layers.0.attn.qkv.weight': [1] } } }),
      { code: 'CONFIG_INVALID', message: /must be 4 numbers/ },
    );
    assert.throws(() => structuredPrune(model.graph, { ffn: 2 }), { code: 'CONFIG_INVALID' });
  });

  it('declines attention whose probabilities pass through a dropout mask, and fractions that round to nothing', () => {
    const config = tinyConfig({ dropout: 0.1, attentionDropout: 0.1 });
    const model = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'loss', dropout: true }).model;
    const { changes } = structuredPrune(model.graph, { heads: 0.5, ffn: 0.005 });
    const attention = changes.filter((c) => c.kind === 'declined' && c.detail.startsWith('attention:'));
    assert.equal(attention.length, 2);
    assert.match(attention[0]!.detail, /scales the attention by a computed value .*dropout mask/);
    assert.match(
      declinedFor(changes, 'layers.0.ffn.down.weight').detail,
      /removing 0\.005 of 64 neurons rounds to none/,
    );
  });

  it('declines shared weights and graphs without recognisable blocks', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    b.initializer(float32Tensor('up', [8, 16], randomFloats(128, 1)));
    b.initializer(float32Tensor('down', [16, 8], randomFloats(128, 2)));
    const h = b.op('MatMul', [b.op('Relu', [b.op('MatMul', [x, 'up'])]), 'down']);
    b.output(b.op('Add', [h, b.op('MatMul', [x, 'up'])]));
    const shared = structuredPrune(b.build(), { ffn: 0.5 });
    assert.match(declinedFor(shared.changes, 'MatMul').detail, /feed-forward: .*weight "up" is shared/);

    const c = GraphBuilder.create();
    const y = c.input('x', DataType.FLOAT, [2, 8]);
    c.initializer(float32Tensor('w', [8, 8], randomFloats(64, 3)));
    c.output(c.op('Softmax', [c.op('MatMul', [y, 'w'])]));
    const none = structuredPrune(c.build(), { heads: 0.5, ffn: 0.5 });
    assert.match(declinedFor(none.changes, 'main').detail, /no attention block recognised/);
    assert.equal(none.changes.filter((ch) => /no feed-forward block recognised/.test(ch.detail)).length, 1);
  });

  it('declines attention whose ALiBi slopes another layer shares, naming the constant', () => {
    const model = tinyEncoder({ positions: 'alibi' }, 4);
    const nodes = model.graph.nodes.map((n) =>
      n.name.endsWith('layers.1.attn/alibi')
        ? { ...n, inputs: n.inputs.map((i) => i.replace('layers.1.', 'layers.0.')) }
        : n,
    );
    const { changes } = structuredPrune({ ...model.graph, nodes }, { heads: 0.25 });
    const reasons = changes.filter((c) => c.kind === 'declined').map((c) => c.detail);
    assert.equal(reasons.length, 2, JSON.stringify(reasons));
    for (const r of reasons) assert.match(r, /per-head constant "layers\.0\.attn\.alibi_slopes" is shared/);
  });

  it('prunes a feed-forward block inside an If branch', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    const cond = b.input('cond', DataType.BOOL, []);
    const up = randomFloats(8 * 16, 1);
    const down = randomFloats(16 * 8, 2);
    for (let r = 0; r < 8; r++) up.fill(0, r * 16 + 4, r * 16 + 8); // neurons 4..7 zeroed
    down.fill(0, 4 * 8, 8 * 8);
    const then = b.subgraph('then', (s) => {
      s.initializer(float32Tensor('up', [8, 16], up));
      s.initializer(
        float32Tensor(
          'bias',
          [16],
          Array.from({ length: 16 }, (_, i) => (i >= 4 && i < 8 ? 0 : 0.1)),
        ),
      );
      s.initializer(float32Tensor('down', [16, 8], down));
      const hidden = s.op('Relu', [s.op('Add', [s.op('MatMul', [x, 'up']), 'bias'])]);
      s.output(s.op('MatMul', [hidden, 'down']), { elemType: DataType.FLOAT });
    });
    const otherwise = b.subgraph('else', (s) => {
      s.output(s.op('Identity', [x]), { elemType: DataType.FLOAT });
    });
    b.output(
      b.op(
        'If',
        [cond],
        { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) },
        { outputs: ['y'] },
      ),
      {
        elemType: DataType.FLOAT,
      },
    );
    const model = b.toModel();
    const { graph, report } = structuredPrune(model.graph, { ffn: 0.25 });
    assert.deepEqual(
      report.blocks.map((r) => [r.graph, r.removed]),
      [['main/If.then_branch', [4, 5, 6, 7]]],
    );
    const feeds = { x: f32(Array.from(randomFloats(16, 3)), [2, 8]), cond: boolScalar(true) };
    const a = (await runModel(withGraph(model, graph), feeds)).y!.data as Float32Array;
    const e = (await runModel(model, feeds)).y!.data as Float32Array;
    assert.ok(maxDiff(a, e) <= 1e-6);
  });
});

describe('structuredPrune on the PyTorch fixtures', () => {
  for (const fixture of ['torch_bert_mlm_tiny', 'torch_gpt_causal_tiny']) {
    it(`removes zeroed heads and neurons of ${fixture} (separate Q/K/V, Concat'ed shapes) exactly`, async () => {
      const model = loadModel(`${FIXTURES}${fixture}.onnx`);
      const dry = structuredPrune(model.graph, {});
      const attention = dry.report.blocks.filter((b) => b.kind === 'attention');
      const ffn = dry.report.blocks.filter((b) => b.kind === 'ffn');
      assert.equal(attention.length, 2);
      assert.equal(ffn.length, 2);
      let g = model.graph;
      // Each block: zero head 2 of 4 (16 columns of q, k, v and their biases; 16 rows of o), neurons 100..131.
      const biasOf = (weight: string) =>
        g.nodes
          .find(
            (n) =>
              n.opType === 'Add' &&
              g.nodes.some((m) => m.inputs[1] === weight && n.inputs.includes(m.outputs[0]!)),
          )!
          .inputs.find((i) => g.initializers.has(i))!;
      for (const block of attention) {
        const [q, k, v, o] = block.weights as [string, string, string, string];
        for (const w of [q, k, v]) {
          const bias = biasOf(w);
          g = editWeight(g, w, (data, dims) => zeroColumns(data, dims, 32, 16));
          g = editWeight(g, bias, (data, dims) => zeroColumns(data, dims, 32, 16));
        }
        g = editWeight(g, o, (data, dims) => zeroRows(data, dims, 32, 16));
      }
      for (const block of ffn) {
        const [up, down] = block.weights as [string, string];
        const bias = biasOf(up);
        g = editWeight(g, up, (data, dims) => zeroColumns(data, dims, 100, 32));
        g = editWeight(g, bias, (data, dims) => zeroColumns(data, dims, 100, 32));
        g = editWeight(g, down, (data, dims) => zeroRows(data, dims, 100, 32));
      }
      const { graph, changes, report } = structuredPrune(g, { heads: 0.25, ffn: 0.125 });
      assert.equal(applied(changes).length, 4);
      for (const b of report.blocks.filter((x) => x.kind === 'attention')) assert.deepEqual(b.removed, [2]);
      for (const b of report.blocks.filter((x) => x.kind === 'ffn')) assert.deepEqual(b.removed.length, 32);
      assert.deepEqual(init(graph, attention[0]!.weights[0]!).dims, [64, 48]);
      const diff = maxDiff(
        await logits(withGraph(model, graph), false, 1000),
        await logits(withGraph(model, g), false, 1000),
      );
      assert.ok(diff <= 1e-4, `max |Δlogit| ${diff}`);
    });
  }
});
