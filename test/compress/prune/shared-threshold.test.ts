/**
 * One magnitude threshold over several tensors or graphs, each distinct weight counted once: the count is exact
 * (ties broken by first appearance, then element order), copies get one mask, and a threshold chosen over two
 * graphs that hold one matrix under different names prunes it alike in both.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { magnitudePrune, modelThreshold } from '../../../src/compress/prune/magnitude.js';
import { chooseThreshold, distinctThreshold, thresholdMask } from '../../../src/compress/prune/threshold.js';
import { DataType, float32Tensor, GraphBuilder, type Model } from '../../../src/onnx/index.js';
import { tensorToFloat32 } from '../../../src/onnx/tensor-values.js';

/** y = relu(x · W1 · W2) with the weights under the given names. */
function twoLayers(w1: string, w2: string, a: Float32Array, b: Float32Array): Model {
  const g = GraphBuilder.create({ opsets: { '': 17 } });
  const x = g.input('x', DataType.FLOAT, ['m', 4]);
  const h = g.op('MatMul', [x, g.initializer(float32Tensor(w1, [4, 4], a))]);
  // Relu after W2, so that W2 is a block's projection, not the head onto the output the default scope leaves.
  const z = g.op('MatMul', [h, g.initializer(float32Tensor(w2, [4, 4], b))]);
  g.output(g.op('Relu', [z], {}, { outputs: ['y'] }), { elemType: DataType.FLOAT });
  return g.toModel();
}

const ramp = (offset: number) => Float32Array.from({ length: 16 }, (_, i) => (i + offset) * (i % 2 ? 1 : -1));

describe('a threshold shared by several tensors', () => {
  it('prunes exactly the count, ties in tensor then element order', () => {
    const t = chooseThreshold(
      [
        [1, 2, 2],
        [2, 3],
      ],
      3,
    );
    assert.equal(t.value, 2);
    assert.deepEqual(t.ties, [2, 0]);
    assert.deepEqual([...thresholdMask([1, 2, 2], t.value, 2)], [0, 0, 0]);
    assert.deepEqual([...thresholdMask([2, 3], t.value, 0)], [1, 1]);
  });

  it('counts a copy once and gives it the same mask', () => {
    const a = [1, 2, 2, 5];
    const t = distinctThreshold(
      [
        { key: 'a', values: a },
        { key: 'b', values: [2, 9] },
        { key: 'a', values: a },
      ],
      0.5,
    );
    // 6 distinct elements, 3 pruned: the 1 and both 2s of `a` (first appearance wins the tie)
    assert.equal(t.value, 2);
    assert.deepEqual(
      [...t.ties],
      [
        ['a', 2],
        ['b', 0],
      ],
    );
  });

  it('prunes one matrix held by two graphs under different names alike', () => {
    const [shared, own1, own2] = [ramp(1), ramp(20), ramp(0.5)];
    const first = twoLayers('first/shared', 'first/own', shared, own1);
    const second = twoLayers('second/own', 'second/shared', own2, shared);
    const threshold = modelThreshold([first.graph, second.graph], { sparsity: 0.5 });
    const a = magnitudePrune(first.graph, { sparsity: 0.5, threshold }).graph;
    const b = magnitudePrune(second.graph, { sparsity: 0.5, threshold }).graph;
    const zeros = (m: Float32Array) => Array.from(m, (v) => (v === 0 ? 0 : 1)).join('');
    const [pa, pb] = [a.initializers.get('first/shared')!, b.initializers.get('second/shared')!];
    assert.equal(zeros(tensorToFloat32(pa)), zeros(tensorToFloat32(pb)));
    // 48 distinct elements, 24 pruned: the small ramps go first, the large one stays
    const all = [pa, a.initializers.get('first/own')!, b.initializers.get('second/own')!];
    assert.equal(
      all.map((t) => tensorToFloat32(t).filter((v) => v === 0).length).reduce((s, n) => s + n),
      24,
    );
    assert.equal(tensorToFloat32(a.initializers.get('first/own')!).filter((v) => v === 0).length, 0);
  });
});
