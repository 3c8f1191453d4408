/**
 * toFloat16: structure (Casts, initializer types, the float32 islands and why they are kept, the model's
 * interface) and numeric closeness through ONNX Runtime's CPU provider, which runs every graph here (it
 * falls back to float32 kernels with Casts for ops without float16 CPU kernels; see float16.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toFloat16 } from '../../../src/compress/quantize/index.js';
import { makeConfig } from '../../../src/models/config.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import {
  attr,
  DataType,
  encodeModel,
  float32Tensor,
  fromFloat16Array,
  GraphBuilder,
  getInt,
  int64Tensor,
  type Model,
  tensorDataBytes,
  toFloat16Array,
} from '../../../src/onnx/index.js';
import { applyToModel } from '../../../src/onnx/passes/pass.js';
import { ortTensor } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { boolScalar, runModel } from '../../helpers/ort.js';
import {
  compareModels,
  declinedFor,
  floatData,
  floatFeed,
  loadFixture,
  opCounts,
  randomMatrix,
  relativeError,
  snapshot,
  tokenFeeds,
} from './helpers.js';

/** x → MatMul → Add → LayerNormalization → Softmax → MatMul → y. */
function block(rng: Rng): Model {
  const b = GraphBuilder.create();
  const x = b.input('x', DataType.FLOAT, ['m', 16]);
  const w = (name: string, dims: number[]) =>
    b.initializer(float32Tensor(name, dims, randomMatrix(rng, dims[0]!, dims[1] ?? 1)));
  let h = b.op('MatMul', [x, w('w1', [16, 16])], {}, { name: 'mm1' });
  h = b.op('Add', [h, w('b1', [16])], {}, { name: 'add1' });
  h = b.op(
    'LayerNormalization',
    [h, w('ln.scale', [16]), w('ln.bias', [16])],
    { axis: attr.int(-1) },
    { name: 'ln' },
  );
  h = b.op('Softmax', [h], { axis: attr.int(-1) }, { name: 'softmax' });
  b.output(b.op('MatMul', [h, w('w2', [16, 8])], {}, { name: 'mm2', outputs: ['y'] }));
  return b.toModel();
}

function initializerType(model: Model, name: string): number | undefined {
  return model.graph.initializers.get(name)?.dataType;
}

describe('toFloat16', () => {
  it('converts weights and values, keeps LayerNormalization and Softmax in float32 between Casts', async () => {
    const rng = Rng.seeded(41);
    const model = block(rng);
    const before = snapshot(model.graph);
    const { model: h, changes } = applyToModel(model, toFloat16, {});
    assert.deepEqual(model.graph, before, 'the pass mutated its input');
    // Casts: x → fp16, fp16 → fp32 before the LayerNorm, fp32 → fp16 after the Softmax, y → fp32.
    assert.deepEqual(opCounts(h.graph), { MatMul: 2, Add: 1, LayerNormalization: 1, Softmax: 1, Cast: 4 });
    for (const name of ['w1', 'b1', 'w2']) assert.equal(initializerType(h, name), DataType.FLOAT16, name);
    for (const name of ['ln.scale', 'ln.bias']) assert.equal(initializerType(h, name), DataType.FLOAT, name);
    assert.deepEqual(
      [...h.graph.inputs, ...h.graph.outputs].map((v) => v.type?.kind === 'tensor' && v.type.elemType),
      [DataType.FLOAT, DataType.FLOAT],
      'the interface stays float32',
    );
    assert.deepEqual(declinedFor(changes, 'ln'), ['kept in float32: LayerNormalization is in keepFp32Ops']);
    assert.deepEqual(declinedFor(changes, 'softmax'), ['kept in float32: Softmax is in keepFp32Ops']);
    const err = await compareModels(model, h, { x: floatFeed(rng, [4, 16]) }, 'y');
    assert.ok(err < 5e-3, `relative error ${err}`);
    // The float16 model's tensors take half the bytes (LayerNorm's two vectors excepted).
    assert.ok(tensorDataBytes(h) < 0.6 * tensorDataBytes(model));
  });

  it('keeps nodes named in keepFp32Nodes in float32', async () => {
    const rng = Rng.seeded(47);
    const model = block(rng);
    const { model: h, changes } = applyToModel(model, toFloat16, { keepFp32Nodes: [/^mm2$/] });
    assert.deepEqual(declinedFor(changes, 'mm2'), ['kept in float32: node name in keepFp32Nodes']);
    assert.equal(initializerType(h, 'w2'), DataType.FLOAT);
    assert.equal(opCounts(h.graph).Cast, 2, 'the Softmax output and y stay float32: no Casts after it');
    const err = await compareModels(model, h, { x: floatFeed(rng, [4, 16]) }, 'y');
    assert.ok(err < 5e-3, `relative error ${err}`);
  });

  it('gives a float16 interface with keepIoTypes: false', async () => {
    const rng = Rng.seeded(42);
    const model = block(rng);
    const { model: h } = applyToModel(model, toFloat16, { keepIoTypes: false });
    assert.equal(opCounts(h.graph).Cast, 2, 'only the Casts around the float32 island');
    const types = [...h.graph.inputs, ...h.graph.outputs].map(
      (v) => v.type?.kind === 'tensor' && v.type.elemType,
    );
    assert.deepEqual(types, [DataType.FLOAT16, DataType.FLOAT16]);
    const x = randomMatrix(rng, 4, 16, 1);
    const expected = floatData(await runModel(model, { x: ortTensor('float32', x, [4, 16]) }), 'y');
    const out = (await runModel(h, { x: ortTensor('float16', toFloat16Array(x), [4, 16]) })).y!;
    assert.equal(out.type, 'float16');
    const err = relativeError(fromFloat16Array(out.data as Uint16Array), expected);
    assert.ok(err < 5e-3, `relative error ${err}`);
  });

  it('keeps a decomposed LayerNorm chain in float32, switches Cast(to=float) and ConstantOfShape to float16', async () => {
    const rng = Rng.seeded(43);
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    const ids = b.input('ids', DataType.INT64, [2, 8]);
    const mean = b.op('ReduceMean', [x], { axes: attr.ints([-1]) }, { name: 'ln/mean' });
    const d = b.op('Sub', [x, mean], {}, { name: 'ln/sub' });
    const v = b.op(
      'ReduceMean',
      [b.op('Pow', [d, b.constantOf(DataType.FLOAT, [], [2])], {}, { name: 'ln/pow' })],
      {
        axes: attr.ints([-1]),
      },
      { name: 'ln/var' },
    );
    const s = b.op(
      'Sqrt',
      [b.op('Add', [v, b.constantOf(DataType.FLOAT, [], [1e-5])], {}, { name: 'ln/eps' })],
      {},
      {
        name: 'ln/sqrt',
      },
    );
    const n = b.op('Div', [d, s], {}, { name: 'ln/div' });
    const g = b.op(
      'Mul',
      [n, b.initializer(float32Tensor('gamma', [8], randomMatrix(rng, 1, 8)))],
      {},
      { name: 'ln/gamma' },
    );
    const asFloat = b.op('Cast', [ids], { to: attr.int(DataType.FLOAT) }, { name: 'ids_float' });
    const ones = b.op(
      'ConstantOfShape',
      [b.constant(int64Tensor('shape', [2], [2, 8]))],
      { value: attr.tensor(float32Tensor('one', [1], [1])) },
      { name: 'ones' },
    );
    b.output(
      b.op('Add', [b.op('Add', [g, asFloat], {}, { name: 'plus_ids' }), ones], {}, { outputs: ['y'] }),
    );
    const model = b.toModel();
    const { model: h, changes } = applyToModel(model, toFloat16, {});
    for (const name of ['ln/sub', 'ln/eps', 'ln/div'])
      assert.deepEqual(declinedFor(changes, name), ['kept in float32: part of a decomposed LayerNorm'], name);
    assert.deepEqual(declinedFor(changes, 'ln/gamma'), [], 'the scale after the chain is float16');
    const node = (name: string) => h.graph.nodes.find((nd) => nd.name === name)!;
    assert.equal(getInt(node('ids_float'), 'to'), DataType.FLOAT16);
    const value = node('ones').attributes.value;
    assert.ok(value?.type === 'TENSOR' && value.value.dataType === DataType.FLOAT16);
    const feeds = {
      x: floatFeed(rng, [2, 8], 100),
      ids: ortTensor(
        'int64',
        BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i)),
        [2, 8],
      ),
    };
    const err = await compareModels(model, h, feeds, 'y');
    assert.ok(err < 2e-3, `relative error ${err}`);
    const off = applyToModel(model, toFloat16, { keepDecomposedLayerNorm: false, keepFp32Ops: [] });
    assert.deepEqual(declinedFor(off.changes, 'ln/div'), []);
  });

  it('clamps constants beyond float16 range instead of making infinities', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3]);
    b.output(
      b.op('Max', [x, b.initializer(float32Tensor('floor', [3], [-1e9, 0, 1e6]))], {}, { outputs: ['y'] }),
    );
    const { model: h } = applyToModel(b.toModel(), toFloat16, {});
    const y = floatData(
      await runModel(h, { x: ortTensor('float32', Float32Array.of(-5, -5, -5), [3]) }),
      'y',
    );
    assert.deepEqual(Array.from(y), [-5, 0, 65504]);
  });

  it('converts If branches with a float32 interface, reading float16 outer values', async () => {
    const rng = Rng.seeded(44);
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    const c = b.input('c', DataType.BOOL, []);
    const h = b.op(
      'MatMul',
      [x, b.initializer(float32Tensor('w', [8, 8], randomMatrix(rng, 8, 8)))],
      {},
      { name: 'outer' },
    );
    const thenBranch = b.subgraph('then', (s) => {
      const w2 = s.initializer(float32Tensor('w2', [8, 4], randomMatrix(rng, 8, 4)));
      s.output(s.op('MatMul', [h, w2], {}, { name: 'then/MatMul' }), { elemType: DataType.FLOAT });
    });
    const elseBranch = b.subgraph('else', (s) => {
      s.output(
        s.op(
          'Softmax',
          [
            s.op('Slice', [
              h,
              s.constant(int64Tensor('s0', [1], [0])),
              s.constant(int64Tensor('s1', [1], [4])),
              s.constant(int64Tensor('ax', [1], [1])),
            ]),
          ],
          { axis: attr.int(-1) },
          { name: 'else/Softmax' },
        ),
        {
          elemType: DataType.FLOAT,
        },
      );
    });
    b.output(
      b.op(
        'If',
        [c],
        { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) },
        { name: 'if', outputs: ['y'] },
      ),
      { elemType: DataType.FLOAT },
    );
    const model = b.toModel();
    const { model: half, changes } = applyToModel(model, toFloat16, {});
    assert.deepEqual(declinedFor(changes, 'if'), [
      'kept in float32: a node with subgraphs keeps a float32 interface',
    ]);
    const ifNode = half.graph.nodes.find((n) => n.opType === 'If')!;
    const thenGraph = ifNode.attributes.then_branch!;
    assert.ok(thenGraph.type === 'GRAPH');
    assert.equal(thenGraph.value.initializers.get('w2')?.dataType, DataType.FLOAT16);
    assert.equal(
      thenGraph.value.outputs[0]!.type?.kind === 'tensor' && thenGraph.value.outputs[0]!.type.elemType,
      DataType.FLOAT,
    );
    for (const cond of [true, false]) {
      const err = await compareModels(model, half, { x: floatFeed(rng, [2, 8]), c: boolScalar(cond) }, 'y');
      assert.ok(err < 5e-3, `branch ${cond}: relative error ${err}`);
    }
  });
});

describe('toFloat16: PyTorch fixtures and the TLC encoder', () => {
  const tlc = () =>
    buildMlmEncoder(makeConfig({ vocabSize: 1000, dModel: 64, layers: 2, heads: 4, maxLength: 32 }), {
      rng: Rng.seeded(45),
      head: 'logits',
      dropout: false,
    }).model;
  for (const [name, make, kept] of [
    ['bert', () => loadFixture('bert'), /ReduceMean|decomposed LayerNorm|Pow|Sqrt|Softmax/],
    ['gpt', () => loadFixture('gpt'), /ReduceMean|decomposed LayerNorm|Pow|Sqrt|Softmax/],
    ['tlc', tlc, /LayerNormalization|Softmax/],
  ] as const) {
    it(`${name}: float16 weights, float32 norms and softmax, logits within 2e-3 of float32`, async () => {
      const model = make();
      const { model: h, changes } = applyToModel(model, toFloat16, {});
      const weights = [...h.graph.initializers.values()].filter((t) => t.dims.length === 2);
      assert.ok(weights.length > 0 && weights.every((t) => t.dataType === DataType.FLOAT16));
      const keptReasons = changes.filter((c) => c.kind === 'declined').map((c) => c.detail);
      assert.ok(keptReasons.length > 0 && keptReasons.every((r) => kept.test(r)), keptReasons.join('; '));
      assert.ok(encodeModel(h).byteLength < 0.55 * encodeModel(model).byteLength);
      const err = await compareModels(model, h, tokenFeeds(Rng.seeded(46), 2, 16), 'logits');
      assert.ok(err < 2e-3, `relative error ${err}`);
    });
  }
});
