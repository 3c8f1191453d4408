/** SoftmaxCrossEntropyLoss and Dropout gradients, and the driver's own duties (sums, errors, unreached values). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradient } from '../../src/autodiff/gradient.js';
import { crossEntropy } from '../../src/models/loss.js';
import { attr } from '../../src/onnx/attributes.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { tensorFromNumbers } from '../../src/onnx/tensor.js';
import { inferShapes } from '../../src/ort/shape-inference.js';
import { assertClose, f32, i64, runModel } from '../helpers/ort.js';
import { checkGradient, type FloatType, type GradCase } from './check-gradient.js';

const sce = (reduction: string, shape: number[], labels: number[], ignore?: number): GradCase => ({
  inputs: {
    scores: { shape, low: -2, high: 2 },
    labels: { shape: [shape[0]!, ...shape.slice(2)], type: 'int64', values: labels },
  },
  scalarLoss: reduction !== 'none',
  build: (b) => {
    const [loss] = b.opMulti(
      'SoftmaxCrossEntropyLoss',
      ['scores', 'labels'],
      { reduction: attr.string(reduction), ...(ignore !== undefined && { ignore_index: attr.int(ignore) }) },
      { outputs: 2 },
    );
    return loss!;
  },
});

/** Label smoothing as the loss builder (src/models/loss.ts) composes it. */
const smoothed: GradCase = {
  inputs: {
    scores: { shape: [4, 5], low: -2, high: 2 },
    labels: { shape: [4], type: 'int64', values: [1, -100, 4, 0] },
  },
  scalarLoss: true,
  build: (b, t) =>
    crossEntropy(b, 'scores', 'labels', { ignoreIndex: -100, labelSmoothing: 0.1, floatType: t }),
};

const LOSS_ROWS: [string, GradCase][] = [
  ['mean', sce('mean', [4, 5], [1, 0, 4, 2])],
  ['sum', sce('sum', [4, 5], [1, 0, 4, 2])],
  ['none', sce('none', [4, 5], [1, 0, 4, 2])],
  ['mean with ignore_index', sce('mean', [4, 5], [1, -100, 4, -100], -100)],
  ['mean over [N, C, D]', sce('mean', [2, 5, 3], [1, 0, 4, 2, 2, 3])],
  ['label smoothing through log_prob', smoothed],
];

describe('SoftmaxCrossEntropyLoss gradient against finite differences', () => {
  for (const [name, c] of LOSS_ROWS) {
    for (const t of [DataType.DOUBLE, DataType.FLOAT] as FloatType[]) {
      it(`${name} (${t === DataType.DOUBLE ? 'float64' : 'float32'})`, async () => {
        const { errors } = await checkGradient(c, t);
        const limit = t === DataType.DOUBLE ? 1e-6 : 1e-2;
        assert.ok(errors.scores! < limit, `relative error ${errors.scores} ≥ ${limit}`);
      });
    }
  }
});

describe('Dropout gradient', () => {
  it('reuses the training-mode mask: dx = g · mask / (1 − ratio)', async () => {
    const b = GraphBuilder.create({ opsets: { '': 17 } });
    const x = b.input('x', DataType.FLOAT, [64]);
    const ratio = b.constant(tensorFromNumbers('ratio', DataType.FLOAT, [], [0.25]));
    const training = b.constant(tensorFromNumbers('training', DataType.BOOL, [], [1]));
    const [y, mask] = b.opMulti('Dropout', [x, ratio, training], { seed: attr.int(3) }, { outputs: 2 });
    const weights = Array.from({ length: 64 }, (_, i) => (i % 7) - 3);
    const loss = b.op(
      'ReduceSum',
      [b.op('Mul', [y!, b.constant(tensorFromNumbers('w', DataType.FLOAT, [64], weights))])],
      { keepdims: attr.int(0) },
    );
    b.output(loss);
    b.output(mask!);
    const forward = b.toModel();
    const grad = gradient(forward.graph, {
      loss,
      wrt: [x],
      shapes: await inferShapes(forward),
      opsets: forward.opsetImports,
    });
    const out = await runModel({ ...forward, graph: grad.graph }, { x: f32(Array(64).fill(1), [64]) });
    const kept = out[mask!]!.data as Uint8Array;
    assert.ok(
      kept.some((k) => k === 0) && kept.some((k) => k === 1),
      'the mask drops some elements and keeps others',
    );
    const expected = weights.map((w, i) => (kept[i] ? w / 0.75 : 0));
    assertClose(out[grad.gradients.get(x)!]!.data as Float32Array, expected, 1e-6);
  });
});

describe('gradient driver', () => {
  it('sums the gradients of a value read by several nodes, and ignores branches off the path', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3]);
    const sq = b.op('Mul', [x, x]); // x read twice
    const off = b.op('Exp', [x]); // not on the path to the loss
    b.output(off);
    const loss = b.op('ReduceSum', [b.op('Add', [sq, x])], { keepdims: attr.int(0) });
    b.output(loss);
    const forward = b.toModel();
    const grad = gradient(forward.graph, {
      loss,
      wrt: [x],
      shapes: await inferShapes(forward),
      opsets: forward.opsetImports,
    });
    const out = await runModel({ ...forward, graph: grad.graph }, { x: f32([1, -2, 0.5], [3]) });
    assertClose(out.x_grad!.data as Float32Array, [3, -3, 2], 1e-6); // d/dx (x² + x) = 2x + 1
    assert.ok(
      !grad.graph.nodes.some((n) => n.name.startsWith('grad/') && n.inputs.includes(off)),
      'nothing differentiates Exp',
    );
  });

  it('returns zeros for values the loss does not depend on, and lists them', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2]);
    const unused = b.input('unused', DataType.FLOAT, [2, 2]);
    const loss = b.op('ReduceSum', [x], { keepdims: attr.int(0) });
    b.output(loss);
    const forward = b.toModel();
    const grad = gradient(forward.graph, {
      loss,
      wrt: [x, unused],
      shapes: await inferShapes(forward),
      opsets: forward.opsetImports,
    });
    assert.deepEqual(grad.unreached, [unused]);
    const out = await runModel(
      { ...forward, graph: grad.graph },
      { x: f32([1, 2], [2]), unused: f32([1, 2, 3, 4], [2, 2]) },
    );
    assertClose(out.unused_grad!.data as Float32Array, [0, 0, 0, 0]);
    assert.deepEqual(out.unused_grad!.dims, [2, 2]);
  });

  it('names the op when a rule is missing', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [4]);
    const loss = b.op('ReduceSum', [b.op('Cos', [x], {}, { name: 'my_cos' })], { keepdims: attr.int(0) });
    b.output(loss);
    const forward = b.toModel();
    const shapes = await inferShapes(forward);
    assert.throws(() => gradient(forward.graph, { loss, wrt: [x], shapes, opsets: forward.opsetImports }), {
      code: 'AUTODIFF_NO_RULE',
      message: /no gradient rule for Cos \(node "my_cos"\)/,
    });
  });

  it('refuses graphs below opset 17 and losses that do not depend on wrt', async () => {
    const b = GraphBuilder.create({ opsets: { '': 13 } });
    const x = b.input('x', DataType.FLOAT, [4]);
    const loss = b.op('ReduceSum', [x]);
    b.output(loss);
    const forward = b.toModel();
    const shapes = await inferShapes(forward);
    assert.throws(() => gradient(forward.graph, { loss, wrt: [x], shapes, opsets: forward.opsetImports }), {
      code: 'AUTODIFF_FAILED',
      message: /opset 17/,
    });
    const b2 = GraphBuilder.create();
    const y = b2.input('y', DataType.FLOAT, [4]);
    b2.input('z', DataType.FLOAT, [4]);
    const l2 = b2.op('ReduceSum', [y]);
    b2.output(l2);
    const m2 = b2.toModel();
    const s2 = await inferShapes(m2);
    assert.throws(() => gradient(m2.graph, { loss: l2, wrt: ['z'], shapes: s2, opsets: m2.opsetImports }), {
      code: 'AUTODIFF_FAILED',
      message: /does not depend/,
    });
  });
});

describe('cross-entropy loss builder', () => {
  it('with label smoothing equals (1 − ε)·CE + ε·mean(−mean log p) over counted tokens', async () => {
    const b = GraphBuilder.create();
    b.input('scores', DataType.FLOAT, [3, 4]);
    b.input('labels', DataType.INT64, [3]);
    b.output(
      crossEntropy(b, 'scores', 'labels', {
        ignoreIndex: -100,
        labelSmoothing: 0.2,
        floatType: DataType.FLOAT,
      }),
    );
    const scores = [0.5, -1, 2, 0, 1, 1, 1, 1, 3, -2, 0.1, 0.4];
    const labels = [2, -100, 0];
    const out = await runModel(b.toModel(), { scores: f32(scores, [3, 4]), labels: i64(labels, [3]) });
    let ce = 0;
    let smooth = 0;
    for (const row of [0, 2]) {
      const s = scores.slice(row * 4, row * 4 + 4);
      const lse = Math.log(s.reduce((a, v) => a + Math.exp(v), 0));
      ce += lse - s[labels[row]!]!;
      smooth += s.reduce((a, v) => a + (lse - v), 0) / 4;
    }
    const expected = 0.8 * (ce / 2) + 0.2 * (smooth / 2);
    assertClose(out.loss!.data as Float32Array, [expected], 1e-5);
  });
});
