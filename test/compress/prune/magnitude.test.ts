/**
 * Magnitude pruning: exact counts and tie-breaking of the threshold, which tensors are selected (and why the
 * others are declined), global vs per-tensor, subgraphs, purity, and outputs through ONNX Runtime on a small
 * graph, a tiny TLC encoder and the PyTorch fixtures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { magnitudePrune } from '../../../src/compress/prune/index.js';
import { kthSmallest, magnitudeMasks } from '../../../src/compress/prune/threshold.js';
import {
  attr,
  DataType,
  float16Tensor,
  float32Tensor,
  GraphBuilder,
  int8Tensor,
  loadModel,
  type Model,
  tensorToFloat32,
} from '../../../src/onnx/index.js';
import { assertClose, boolScalar, f32, i64, runModel } from '../../helpers/ort.js';
import { applied, declinedFor, init, randomFloats, textFeeds, tinyEncoder, withGraph } from './helpers.js';

const FIXTURES = new URL('../../fixtures/torch/', import.meta.url).pathname;

function zeros(a: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) z++;
  return z;
}

/**
 * x [2, 8] → MatMul W1 [8, 16] → Gemm W2 [16, 4] (transB=0) + b → Relu; also Gather from an embedding table. (The
 * Relu keeps W2 a block projection: a projection straight onto a graph output is a head, left alone by default.)
 */
function smallGraph(): Model {
  const b = GraphBuilder.create();
  const x = b.input('x', DataType.FLOAT, [2, 8]);
  const ids = b.input('ids', DataType.INT64, [3]);
  b.initializer(float32Tensor('W1', [8, 16], randomFloats(128, 1)));
  b.initializer(float32Tensor('W2', [16, 4], randomFloats(64, 2)));
  b.initializer(float32Tensor('bias', [4], [0.1, 0.2, 0.3, 0.4]));
  b.initializer(float32Tensor('table', [10, 8], randomFloats(80, 3)));
  const h = b.op('MatMul', [x, 'W1']);
  b.output(b.op('Relu', [b.op('Gemm', [h, 'W2', 'bias'])], {}, { outputs: ['y'] }));
  b.output(b.op('Gather', ['table', ids], { axis: attr.int(0) }, { outputs: ['e'] }));
  return b.toModel();
}

describe('magnitude threshold', () => {
  it('kthSmallest agrees with sorting', () => {
    const values = randomFloats(1001, 7);
    const sorted = Float32Array.from(values).sort();
    for (const k of [0, 1, 500, 999, 1000])
      assert.equal(kthSmallest(Float32Array.from(values), k), sorted[k]);
    assert.equal(kthSmallest(new Float32Array(50).fill(3), 17), 3);
  });

  it('prunes exactly round(s·n), smallest first, ties in position order', () => {
    const [mask] = magnitudeMasks([[0.5, -0.1, 0.3, -0.3, 0.3, 2, 0, -0]], 0.5, 'per-tensor');
    // 4 of 8: the two zeros, -0.1, then the first of the three |0.3| ties
    assert.deepEqual(Array.from(mask!), [1, 0, 0, 1, 1, 1, 0, 0]);
    for (const s of [0, 0.1, 0.33, 0.9, 1]) {
      const m = magnitudeMasks([randomFloats(1000, 3)], s, 'per-tensor')[0]!;
      assert.equal(m.length - m.reduce((a, b) => a + b, 0), Math.round(s * 1000), `sparsity ${s}`);
    }
  });

  it('global scope ranks all tensors together; per-tensor prunes each to the target', () => {
    const small = Float32Array.from({ length: 100 }, (_, i) => (i + 1) * 1e-3);
    const large = Float32Array.from({ length: 100 }, (_, i) => 1 + i);
    const [gs, gl] = magnitudeMasks([small, large], 0.5, 'global');
    assert.equal(zeros(gs!), 100, 'global: every small weight goes first');
    assert.equal(zeros(gl!), 0);
    const [ps, pl] = magnitudeMasks([small, large], 0.5, 'per-tensor');
    assert.equal(zeros(ps!), 50);
    assert.equal(zeros(pl!), 50);
  });

  it('refuses a sparsity outside [0, 1]', () => {
    assert.throws(() => magnitudeMasks([[1]], 1.5, 'global'), RangeError);
    assert.throws(() => magnitudePrune(smallGraph().graph, { sparsity: -0.1 }), { code: 'CONFIG_INVALID' });
  });
});

describe('magnitudePrune', () => {
  it('prunes MatMul and Gemm weights, not embeddings, and reports per-tensor sparsity', async () => {
    const model = smallGraph();
    const { graph, changes, report } = magnitudePrune(model.graph, { sparsity: 0.75, scope: 'per-tensor' });
    assert.deepEqual(
      report.tensors.map((t) => [t.name, t.role, t.zeros, t.elements]),
      [
        ['W1', 'weight', 96, 128],
        ['W2', 'weight', 48, 64],
      ],
    );
    assert.equal(report.sparsity, 0.75);
    assert.deepEqual(
      applied(changes).map((c) => c.target),
      ['W1', 'W2'],
    );
    assert.match(declinedFor(changes, 'table').detail, /embedding table .*includeEmbeddings/);
    assert.equal(graph.initializers.get('table'), model.graph.initializers.get('table'), 'untouched, shared');
    assert.equal(graph.initializers.get('bias'), model.graph.initializers.get('bias'));
    assert.equal(zeros(init(graph, 'W1').data as Float32Array), 96);
    // Pure: the input graph's data is unchanged.
    assert.equal(zeros(init(model.graph, 'W1').data as Float32Array), 0);
    assert.deepEqual(graph.nodes, model.graph.nodes);

    // ONNX Runtime computes relu(x·W1'·W2' + b) with the pruned weights.
    const x = randomFloats(16, 9);
    const out = await runModel(withGraph(model, graph), {
      x: f32(Array.from(x), [2, 8]),
      ids: i64([0, 1, 2], [3]),
    });
    const w1 = init(graph, 'W1').data as Float32Array;
    const w2 = init(graph, 'W2').data as Float32Array;
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const h = Array.from({ length: 16 }, (_, j) => {
        let s = 0;
        for (let k = 0; k < 8; k++) s += x[r * 8 + k]! * w1[k * 16 + j]!;
        return s;
      });
      for (let j = 0; j < 4; j++)
        expected.push(
          Math.max(
            0,
            h.reduce((s, hv, k) => s + hv * w2[k * 4 + j]!, 0.1 * (j + 1)),
          ),
        );
    }
    assertClose(out.y!.data as Float32Array, expected, 1e-5, 'y');
  });

  it('includes embeddings when asked, honours include/exclude patterns', () => {
    const g = smallGraph().graph;
    const withEmb = magnitudePrune(g, { sparsity: 0.5, includeEmbeddings: true });
    assert.deepEqual(
      withEmb.report.tensors.map((t) => [t.name, t.role]),
      [
        ['W1', 'weight'],
        ['W2', 'weight'],
        ['table', 'embedding'],
      ],
    );
    const only = magnitudePrune(g, { sparsity: 0.5, include: ['W*'], exclude: [/2$/] });
    assert.deepEqual(
      only.report.tensors.map((t) => t.name),
      ['W1'],
    );
    assert.match(declinedFor(only.changes, 'W2').detail, /excluded by pattern \/2\$\//);
    const none = magnitudePrune(g, { sparsity: 0.5, include: ['nothing'] });
    assert.equal(none.graph, g, 'nothing selected: the same graph comes back');
    assert.match(declinedFor(none.changes, 'W1').detail, /matches no include pattern \("nothing"\)/);
  });

  it('global scope prunes the small-magnitude tensor harder than the large one', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [1, 8]);
    b.initializer(
      float32Tensor(
        'tiny',
        [8, 8],
        Array.from(randomFloats(64, 4), (v) => v * 0.01),
      ),
    );
    b.initializer(float32Tensor('big', [8, 8], randomFloats(64, 5)));
    b.output(b.op('MatMul', [b.op('MatMul', [x, 'tiny']), 'big']));
    const { report } = magnitudePrune(b.build(), { sparsity: 0.5, include: ['tiny', 'big'] });
    const [tiny, big] = report.tensors;
    assert.equal(tiny!.zeros + big!.zeros, 64);
    assert.ok(tiny!.sparsity > 0.95 && big!.sparsity < 0.05, `${tiny!.sparsity} / ${big!.sparsity}`);
  });

  it('declines weights it cannot prune, with the reason', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 4, 4]);
    b.initializer(float32Tensor('batched', [2, 4, 4], randomFloats(32, 1)));
    b.initializer(
      int8Tensor(
        'quantized',
        [4, 4],
        Array.from({ length: 16 }, (_, i) => i - 8),
      ),
    );
    b.initializer(float32Tensor('exposed', [4, 4], randomFloats(16, 2)));
    b.output(b.op('MatMul', [x, 'batched']));
    b.output(b.op('MatMul', [b.input('q', DataType.INT8, [4, 4]), 'quantized']), { elemType: DataType.INT8 });
    b.output(b.op('MatMul', [x, 'exposed']));
    b.output('exposed');
    const { changes, report } = magnitudePrune(b.build(), { sparsity: 0.5 });
    assert.equal(report.tensors.length, 0);
    assert.match(declinedFor(changes, 'batched').detail, /rank 3: only 2-D/);
    assert.match(declinedFor(changes, 'quantized').detail, /INT8 is not floating point/);
    assert.match(declinedFor(changes, 'exposed').detail, /graph output/);
  });

  it('leaves the projection that makes a graph output alone (a classifier head) unless it is named', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    b.initializer(float32Tensor('dense', [8, 8], randomFloats(64, 1)));
    b.initializer(float32Tensor('out_proj', [8, 3], randomFloats(24, 2)));
    b.initializer(float32Tensor('out_bias', [3], [0.1, 0.2, 0.3]));
    const hidden = b.op('Tanh', [b.op('MatMul', [x, 'dense'])]);
    const logits = b.op('Add', [b.op('MatMul', [hidden, 'out_proj']), 'out_bias']);
    b.output(b.op('Identity', [logits], {}, { outputs: ['logits'] }));
    const graph = b.build();
    const plain = magnitudePrune(graph, { sparsity: 0.5 });
    assert.deepEqual(
      plain.report.tensors.map((t) => t.name),
      ['dense'],
    );
    assert.match(declinedFor(plain.changes, 'out_proj').detail, /graph output \(a classifier head\)/);
    assert.equal(zeros(init(plain.graph, 'out_proj').data as Float32Array), 0);
    const named = magnitudePrune(graph, { sparsity: 0.5, include: ['dense', 'out_proj'] });
    assert.deepEqual(named.report.tensors.map((t) => t.name).sort(), ['dense', 'out_proj']);
  });

  it('keeps float16 weights in float16', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT16, [1, 4]);
    b.initializer(float16Tensor('h', [4, 4], Array.from(randomFloats(16, 8))));
    b.output(b.op('MatMul', [x, 'h']));
    const { graph, report } = magnitudePrune(b.build(), { sparsity: 0.25, include: ['h'] });
    const t = init(graph, 'h');
    assert.equal(t.dataType, DataType.FLOAT16);
    assert.equal(zeros(tensorToFloat32(t)), 4);
    assert.equal(report.tensors[0]!.zeros, 4);
  });

  it('prunes inside If branches, outer-scope weights read by a branch too', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [1, 8]);
    const cond = b.input('cond', DataType.BOOL, []);
    b.initializer(float32Tensor('outer', [8, 8], randomFloats(64, 1)));
    const then = b.subgraph('then', (s) => {
      s.output(s.op('MatMul', [x, 'outer']), { elemType: DataType.FLOAT });
    });
    const otherwise = b.subgraph('else', (s) => {
      s.initializer(float32Tensor('inner', [8, 8], randomFloats(64, 2)));
      s.output(s.op('MatMul', [x, 'inner']), { elemType: DataType.FLOAT });
    });
    b.output(
      b.op(
        'If',
        [cond],
        { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) },
        { outputs: ['y'] },
      ),
      { elemType: DataType.FLOAT },
    );
    const model = b.toModel();
    const { graph, report } = magnitudePrune(model.graph, { sparsity: 0.5, scope: 'per-tensor' });
    assert.deepEqual(
      report.tensors.map((t) => [t.name, t.graph, t.zeros]),
      [
        ['outer', 'main', 32],
        ['inner', 'main/If.else_branch', 32],
      ],
    );
    const branch = graph.nodes.find((n) => n.opType === 'If')!.attributes.else_branch!;
    assert.ok(branch.type === 'GRAPH');
    assert.equal(zeros(init(branch.value, 'inner').data as Float32Array), 32);
    const xs = f32(Array.from(randomFloats(8, 3)), [1, 8]);
    for (const c of [true, false]) {
      const out = await runModel(withGraph(model, graph), { x: xs, cond: boolScalar(c) });
      assert.deepEqual(out.y!.dims, [1, 8]);
    }
  });

  it('prunes a tiny TLC encoder to a global 50% over its projections', async () => {
    const model = tinyEncoder();
    const { graph, report } = magnitudePrune(model.graph, { sparsity: 0.5 });
    // 2 layers × (qkv, out, up, down) + the MLM head's dense; the tied embedding stays dense.
    assert.equal(report.tensors.length, 9);
    assert.deepEqual(Object.keys(report.groups).sort(), ['attention', 'ffn', 'other']);
    assert.ok(report.tensors.every((t) => t.role === 'weight'));
    assert.ok(!report.tensors.some((t) => t.name === 'embeddings.word'));
    assert.equal(report.zeros, Math.round(report.elements / 2));
    const out = await runModel(withGraph(model, graph), textFeeds(50));
    assert.deepEqual(out.logits!.dims, [2, 7, 50]);
  });

  it("prunes the projections of a PyTorch export by default: the tied head's folded copy stays dense", () => {
    const model = loadModel(`${FIXTURES}torch_bert_mlm_tiny.onnx`);
    const { graph, changes, report } = magnitudePrune(model.graph, { sparsity: 0.5 });
    assert.deepEqual(report.tensors.map((t) => t.group).sort(), [
      ...Array(8).fill('attention'),
      ...Array(4).fill('ffn'),
      'other',
    ]);
    assert.ok(Math.abs(report.sparsity - 0.5) < 0.01, `blocks ${report.sparsity}`);
    const { attention, ffn } = report.groups;
    assert.equal(attention!.zeros + ffn!.zeros + report.groups.other!.zeros, report.zeros);
    assert.equal(attention!.elements, 8 * 64 * 64);
    assert.match(declinedFor(changes, 'onnx::MatMul_342').detail, /embedding table or a tied copy/);
    assert.equal(report.tensors.find((t) => t.name === 'onnx::MatMul_341')?.group, 'other');
    const dense = (name: string) =>
      (graph.initializers.get(name)!.data as Float32Array).every(
        (v, i) => v === (model.graph.initializers.get(name)!.data as Float32Array)[i],
      );
    assert.ok(dense('onnx::MatMul_342') && dense('tok.weight'));
  });

  it('takes the untied LM head of a causal export as a head, and include patterns replace the default', () => {
    const model = loadModel(`${FIXTURES}torch_gpt_causal_tiny.onnx`);
    const { changes } = magnitudePrune(model.graph, { sparsity: 0.5 });
    assert.match(declinedFor(changes, 'onnx::MatMul_350').detail, /LM head/);
    const named = magnitudePrune(model.graph, {
      sparsity: 0.5,
      include: ['onnx::MatMul_350', 'onnx::MatMul_33?'],
    });
    assert.deepEqual(named.report.tensors.map((t) => t.name).sort(), [
      'onnx::MatMul_331',
      'onnx::MatMul_335',
      'onnx::MatMul_336',
      'onnx::MatMul_337',
      'onnx::MatMul_338',
      'onnx::MatMul_339',
      'onnx::MatMul_350',
    ]);
    const excluded = magnitudePrune(model.graph, { sparsity: 0.5, exclude: ['onnx::MatMul_33?'] });
    assert.equal(excluded.report.tensors.length, 7);
  });

  for (const fixture of ['torch_bert_mlm_tiny', 'torch_gpt_causal_tiny']) {
    it(`prunes the PyTorch fixture ${fixture}`, async () => {
      const model = loadModel(`${FIXTURES}${fixture}.onnx`);
      const { graph, changes, report } = magnitudePrune(model.graph, { sparsity: 0.5, scope: 'per-tensor' });
      assert.equal(report.tensors.length, 13, `${report.tensors.length} weights`);
      for (const t of report.tensors) assert.equal(t.zeros, Math.round(t.elements / 2), t.name);
      assert.match(declinedFor(changes, 'tok.weight').detail, /embedding/);
      const dense = await runModel(model, textFeeds(1000));
      const pruned = await runModel(withGraph(model, graph), textFeeds(1000));
      assert.deepEqual(pruned.logits!.dims, dense.logits!.dims);
      assert.ok((pruned.logits!.data as Float32Array).every(Number.isFinite));
    });
  }
});
