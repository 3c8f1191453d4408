/** The node selection (globs, RegExps, include/exclude order) and the scale / zero-point arithmetic. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSelection, globToRegExp } from '../../../src/compress/common/selection.js';
import { asymmetricParams, quantRange, symmetricParams } from '../../../src/compress/quantize/index.js';
import { dequantizeValue, quantizeValue, roundHalfEven } from '../../../src/compress/quantize/scale.js';
import type { Node } from '../../../src/onnx/index.js';

function node(name: string, opType: string): Node {
  return { name, opType, domain: '', inputs: [], outputs: [], attributes: {} };
}

describe('node selection', () => {
  it('matches globs over whole names, "*" crossing "/"', () => {
    const re = globToRegExp('/blocks.*/att/?/MatMul');
    assert.ok(re.test('/blocks.0/att/q/MatMul'));
    assert.ok(re.test('/blocks.11/att/k/MatMul'));
    assert.ok(!re.test('/blocks.0/att/qq/MatMul'));
    assert.ok(!re.test('x/blocks.0/att/q/MatMul'), 'anchored');
    assert.ok(globToRegExp('a+b(c)').test('a+b(c)'), 'regex characters are literal');
  });

  it('excludes win over includes; node and op lists combine; reasons name the pattern', () => {
    const select = compileSelection({
      includeOps: ['MatMul', 'Gemm'],
      excludeNodes: [/head/g],
      includeNodes: ['layers.*'],
    });
    assert.deepEqual(select(node('layers.0/MatMul', 'MatMul')), { selected: true });
    assert.deepEqual(select(node('layers.0/MatMul', 'MatMul')), { selected: true }, 'stateless RegExp');
    assert.deepEqual(select(node('layers.head/MatMul', 'MatMul')), {
      selected: false,
      reason: 'node excluded by /head/g',
    });
    assert.deepEqual(select(node('layers.0/Gather', 'Gather')), {
      selected: false,
      reason: 'op type not in includeOps',
    });
    assert.deepEqual(select(node('emb/MatMul', 'MatMul')), {
      selected: false,
      reason: 'node not in includeNodes',
    });
    assert.deepEqual(compileSelection({ excludeOps: ['Gat*'] })(node('g', 'Gather')), {
      selected: false,
      reason: 'op type excluded by "Gat*"',
    });
    assert.deepEqual(compileSelection()(node('anything', 'Any')), { selected: true });
  });
});

describe('scales and zero points', () => {
  it('uses onnxruntime ranges: symmetric int8 ±127, reduced ±64, uint8 0..255 / 0..127', () => {
    assert.deepEqual(quantRange('int8', { symmetric: true }), { qmin: -127, qmax: 127 });
    assert.deepEqual(quantRange('int8'), { qmin: -128, qmax: 127 });
    assert.deepEqual(quantRange('int8', { reduceRange: true }), { qmin: -64, qmax: 64 });
    assert.deepEqual(quantRange('uint8'), { qmin: 0, qmax: 255 });
    assert.deepEqual(quantRange('uint8', { reduceRange: true }), { qmin: 0, qmax: 127 });
  });

  it('symmetric: zero point in the middle, absmax maps to the end of the range', () => {
    const int8 = quantRange('int8', { symmetric: true });
    const p = symmetricParams(2.54, int8);
    assert.equal(p.zeroPoint, 0);
    assert.ok(Math.abs(p.scale - 0.02) < 1e-7);
    assert.equal(quantizeValue(2.54, p, int8), 127);
    assert.equal(quantizeValue(-9, p, int8), -127, 'clamped');
    assert.deepEqual(symmetricParams(1, { qmin: 0, qmax: 15 }).zeroPoint, 8, 'unsigned 4-bit: 8');
    assert.deepEqual(symmetricParams(0, int8), { scale: 1, zeroPoint: 0 }, 'all-zero weights');
  });

  it('asymmetric: the range is widened to include 0, which is exact', () => {
    const u8 = quantRange('uint8');
    const p = asymmetricParams(0.5, 3, u8);
    assert.equal(p.zeroPoint, 0, '[0.5, 3] is widened to [0, 3]');
    const q = asymmetricParams(-1, 3, u8);
    assert.equal(q.zeroPoint, 64);
    assert.equal(dequantizeValue(quantizeValue(0, q, u8), q), 0);
    assert.ok(Math.abs(dequantizeValue(quantizeValue(-1, q, u8), q) + 1) <= q.scale / 2);
  });

  it('rounds half to even like QuantizeLinear', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, -2, 2]);
  });
});
