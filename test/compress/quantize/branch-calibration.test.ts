/**
 * Static int8 inside If branches: calibration finds the branches' MatMul inputs (weights read from the outer
 * scope), ranges them by running each branch inlined (branch-runs.ts), and staticQdq quantizes inside the
 * branches with them; an If on a computed condition is not forced, and its nodes are declined with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe, unchangedVariant } from '../../../src/compress/apply-recipe.js';
import { calibrate, calibrationTargets } from '../../../src/compress/quantize/calibrate.js';
import { quantizeModel } from '../../../src/compress/quantize/model.js';
import { staticQdq } from '../../../src/compress/quantize/static-qdq.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import type { Graph, Model, Node } from '../../../src/onnx/ir.js';
import { boolTensor } from '../../../src/onnx/tensor.js';
import { ortTensor } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { runModel } from '../../helpers/ort.js';
import { floatFeed, linearModel } from './helpers.js';

const node = (opType: string, inputs: string[], outputs: string[]): Node => ({
  name: `${outputs[0]}/${opType}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes: {},
});

/** y = If(flag, then: Relu(x)·w, else: (−x)·w): `w` lives in the main graph, as a merged decoder's weights do. */
function ifModel(computedCondition: boolean): Model {
  const base = linearModel(Rng.seeded(7), 4, 3, { bias: 'none' });
  const branch = (name: string, first: Node, out: string): Graph => ({
    ...base.graph,
    name,
    inputs: [],
    initializers: new Map(),
    valueInfo: [],
    nodes: [first, node('MatMul', [first.outputs[0]!, 'w'], [out])],
    outputs: [{ name: out }],
  });
  const cond = computedCondition ? 'not_flag' : 'flag';
  const ifNode: Node = {
    ...node('If', [cond], ['y']),
    attributes: {
      then_branch: { type: 'GRAPH', value: branch('then', node('Relu', ['x'], ['then/relu']), 'then/y') },
      else_branch: { type: 'GRAPH', value: branch('else', node('Neg', ['x'], ['else/neg']), 'else/y') },
    },
  };
  const graph: Graph = {
    ...base.graph,
    inputs: [...base.graph.inputs, { name: 'flag', type: { kind: 'tensor', elemType: 9, shape: [1] } }],
    nodes: [...(computedCondition ? [node('Not', ['flag'], ['not_flag'])] : []), ifNode],
    outputs: [{ name: 'y', type: { kind: 'tensor', elemType: 1, shape: ['m', 3] } }],
    valueInfo: [],
  };
  return { ...base, graph };
}

function feeds(flag: boolean) {
  const data = boolTensor('flag', [1], [flag]).data as Uint8Array;
  return { x: floatFeed(Rng.seeded(11), [8, 4]), flag: ortTensor('bool', data, [1]) };
}

describe('static int8 inside If branches', () => {
  it("finds the branches' activations, whose weights are in the enclosing graph", () => {
    assert.deepEqual(calibrationTargets(ifModel(false).graph).sort(), ['else/neg', 'then/relu']);
  });

  it('ranges both branches of an If on a graph input from the same feeds', async () => {
    const ranges = await calibrate(ifModel(false), [feeds(true)]);
    assert.deepEqual([...ranges.keys()].sort(), ['else/neg', 'then/relu']);
    const relu = ranges.get('then/relu')!;
    const neg = ranges.get('else/neg')!;
    assert.ok(relu.min >= 0 && relu.max > 0, `relu ${relu.min}..${relu.max}`);
    assert.ok(neg.min < 0 && neg.max > 0, `neg ${neg.min}..${neg.max}`);
  });

  it('quantizes inside both branches with those ranges, close to fp32 either way', async () => {
    const model = ifModel(false);
    const ranges = await calibrate(model, [feeds(true)]);
    const q = quantizeModel(model, staticQdq, { ranges });
    const ifNode = q.model.graph.nodes.find((n) => n.opType === 'If')!;
    for (const name of ['then_branch', 'else_branch']) {
      const a = ifNode.attributes[name]!;
      assert.ok(a.type === 'GRAPH');
      assert.equal(a.value.nodes.filter((n) => n.opType === 'QuantizeLinear').length, 1, name);
    }
    for (const flag of [true, false]) {
      const [want, got] = [await runModel(model, feeds(flag)), await runModel(q.model, feeds(flag))];
      const [a, b] = [want.y!.data as Float32Array, got.y!.data as Float32Array];
      const scale = Math.max(...Array.from(a, Math.abs));
      for (const [i, v] of a.entries())
        assert.ok(Math.abs(v - b[i]!) < 0.05 * scale, `flag ${flag} [${i}]: ${v} vs ${b[i]}`);
    }
  });

  it('leaves an If on a computed condition alone: its nodes are declined for want of a range', async () => {
    const model = ifModel(true);
    const ranges = await calibrate(model, [feeds(true)]);
    assert.equal(ranges.size, 0);
    const q = quantizeModel(model, staticQdq, { ranges });
    const reasons = q.changes.filter((c) => c.kind === 'declined').map((c) => c.detail);
    assert.equal(reasons.length, 2);
    for (const r of reasons) assert.match(r, /no calibration range/);
  });

  it('reports a static-int8 variant that quantized nothing as declined, with the reasons', async () => {
    const model = ifModel(true);
    const ranges = await calibrate(model, [feeds(true)]);
    const result = applyRecipe(model, parseRecipe('static-int8'), { ranges });
    assert.match(
      unchangedVariant([result]) ?? '',
      /^declined: static-int8 changed nothing \(.*no calibration range/,
    );
    const quantized = applyRecipe(ifModel(false), parseRecipe('static-int8'), {
      ranges: await calibrate(ifModel(false), [feeds(true)]),
    });
    assert.equal(unchangedVariant([quantized]), undefined);
  });
});
