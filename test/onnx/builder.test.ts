/** GraphBuilder: graphs built in code run in ONNX Runtime with hand-computed results. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr, getInt, getInts } from '../../src/onnx/attributes.js';
import { GraphBuilder, MS_DOMAIN } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { assertClose, boolScalar, f32, runModel } from '../helpers/ort.js';

describe('GraphBuilder', () => {
  it('builds y = relu(x @ W + b) and ONNX Runtime computes it', async () => {
    const b = GraphBuilder.create({ name: 'mlp' });
    const x = b.input('x', DataType.FLOAT, [2, 3]);
    const w = b.initializer(float32Tensor('W', [3, 2], [1, -1, 2, 0, 0, 1]));
    const bias = b.initializer(float32Tensor('b', [2], [0.5, -4]));
    const y = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w]), bias])]);
    b.output(y, { shape: [2, 2] });
    const out = await runModel(b.toModel(), { x: f32([1, 2, 3, -1, 0, 1], [2, 3]) });
    // Row 1: [1+4+0, -1+0+3] + [0.5, -4] = [5.5, -2] → relu [5.5, 0]
    // Row 2: [-1+0+0, 1+0+1] + [0.5, -4] = [-0.5, -2] → relu [0, 0]
    assertClose(out[y]!.data as Float32Array, [5.5, 0, 0, 0], 1e-6);
  });

  it('names nodes and values uniquely, with scopes', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [1]);
    const a = b.op('Relu', [x]);
    const c = b.scope('layer0', () => b.op('Relu', [a]));
    const d = b.scope('layer0', () => b.op('Relu', [c], {}, { name: 'act' }));
    const graph = b.build();
    assert.deepEqual(
      graph.nodes.map((n) => n.name),
      ['Relu', 'layer0/Relu', 'layer0/act'],
    );
    assert.deepEqual([a, c, d], ['Relu_output_0', 'layer0/Relu_output_0', 'layer0/act_output_0']);
    assert.throws(() => b.input('x', DataType.FLOAT), { code: 'GRAPH_BUILD_FAILED' });
    assert.throws(() => b.op('Relu', ['missing']), {
      code: 'GRAPH_BUILD_FAILED',
      message: /input "missing" is not a value/,
    });
  });

  it('registers opset imports for the domains it uses', async () => {
    const b = GraphBuilder.create({ opsets: { '': 17 } });
    const x = b.input('x', DataType.FLOAT, [3]);
    const y = b.op('Gelu', [x], {}, { domain: MS_DOMAIN });
    b.output(y);
    const model = b.toModel();
    assert.deepEqual(
      [...model.opsetImports],
      [
        ['', 17],
        [MS_DOMAIN, 1],
      ],
    );
    const out = await runModel(model, { x: f32([-1, 0, 2], [3]) });
    // gelu(x) = x·Φ(x): Φ(-1) = 0.158655, Φ(2) = 0.977250
    assertClose(out[y]!.data as Float32Array, [-0.158655, 0, 1.9545], 1e-5);
    assert.throws(() => b.useDomain(MS_DOMAIN, 2), /already imported at version 1/);
  });

  it('returns every output of multi-output ops and tracks element types', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [4]);
    const [lo, hi] = b.opMulti(
      'Split',
      [x, b.constant(int64Tensor('split', [2], [1, 3]))],
      { axis: attr.int(0) },
      { outputs: 2 },
    );
    const shape = b.op('Shape', [hi!]);
    const mask = b.op('Greater', [hi!, lo!]);
    assert.equal(b.typeOf(shape), DataType.INT64);
    assert.equal(b.typeOf(mask), DataType.BOOL);
    assert.equal(b.typeOf(b.op('Cast', [mask], { to: attr.int(DataType.FLOAT) })), DataType.FLOAT);
    b.output(lo!);
    b.output(shape);
    b.output(mask);
    const out = await runModel(b.toModel(), { x: f32([2, 1, 3, 2], [4]) });
    assertClose(out[lo!]!.data as Float32Array, [2]);
    assert.deepEqual([...(out[shape]!.data as BigInt64Array)], [3n]);
    assert.deepEqual([...(out[mask]!.data as Uint8Array)], [0, 1, 0]);
  });

  it('builds If subgraphs that read outer values', async () => {
    const b = GraphBuilder.create();
    const cond = b.input('cond', DataType.BOOL, []);
    const x = b.input('x', DataType.FLOAT, [2]);
    const two = b.constant(float32Tensor('two', [], [2]));
    const thenBranch = b.subgraph('then', (s) => s.output(s.op('Mul', [x, two])));
    const elseBranch = b.subgraph('else', (s) => s.output(s.op('Neg', [x])));
    const y = b.op('If', [cond], {
      then_branch: attr.graph(thenBranch),
      else_branch: attr.graph(elseBranch),
    });
    b.output(y, { elemType: DataType.FLOAT });
    const model = b.toModel();
    const run = async (c: boolean) =>
      (
        await runModel(model, {
          cond: boolScalar(c),
          x: f32([1.5, -3], [2]),
        })
      )[y]!.data as Float32Array;
    assertClose(await run(true), [3, -6]);
    assertClose(await run(false), [-1.5, 3]);
  });

  it('extends an existing graph without name clashes', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2]);
    b.output(b.op('Relu', [x]));
    const base = b.toModel();
    const more = GraphBuilder.extend(base.graph, base.opsetImports);
    const y = more.op('Relu', ['x']);
    assert.notEqual(y, 'Relu_output_0');
    more.output(more.op('Neg', [y]));
    const graph = more.build();
    assert.equal(graph.nodes.length, 3);
    const out = await runModel({ ...base, graph }, { x: f32([-1, 2], [2]) });
    assertClose(out[graph.outputs[1]!.name]!.data as Float32Array, [0, -2]);
  });

  it('makes attributes with explicit types and reads them back', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 3]);
    b.op('Transpose', [x], { perm: attr.ints([1, 0]) });
    b.op('Softmax', [x], { axis: attr.int(-1) });
    const [t, s] = b.build().nodes;
    assert.deepEqual(getInts(t!, 'perm'), [1, 0]);
    assert.equal(getInt(s!, 'axis'), -1);
    assert.equal(getInt(s!, 'missing', 7), 7);
    assert.throws(() => getInts(s!, 'axis'), /is INT, expected INTS/);
    assert.throws(() => attr.int(1.5), RangeError);
    assert.throws(() => attr.int(2n ** 63n), RangeError);
  });
});
