/**
 * One parameter count for inspect, tlc.json and the compression report (issue 28): the PyTorch BERT fixture
 * counts as PyTorch counts it in every storage the compressor writes — the tied head's own copy of the
 * embedding, float or quantized apart from the table, counted once — while an untied head is counted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe } from '../../src/compress/apply-recipe.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { summarize } from '../../src/onnx/inspect.js';
import { loadModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { countParameters } from '../../src/onnx/parameters.js';
import { TORCH_BERT, TORCH_BERT_PARAMETERS } from '../helpers/foreign.js';

const model = loadModel(TORCH_BERT);
const HEAD = 'onnx::MatMul_342';
const count = (m: Model) => countParameters([m.graph]);
const variant = (m: Model, recipe: string) => applyRecipe(m, parseRecipe(recipe)).model;

/** The fixture with its head no longer tied: the same shape, other values (a deterministic sequence). */
function untied(): Model {
  const head = model.graph.initializers.get(HEAD)!;
  const data = new Float32Array(head.data.length).map((_, i) => Math.sin(i * 12.9898) * 0.05);
  const initializers = new Map(model.graph.initializers);
  initializers.set(HEAD, { ...head, data });
  return { ...model, graph: { ...model.graph, initializers } };
}

describe('parameter count', () => {
  it('is PyTorch’s for the fp32 fixture, the head’s transposed copy of the table counted once', () => {
    const c = count(model);
    assert.equal(c.total, TORCH_BERT_PARAMETERS);
    assert.equal(c.nonEmbedding, TORCH_BERT_PARAMETERS - 1000 * 64 - 128 * 64);
    assert.deepEqual(c.copies, [{ copy: HEAD, of: 'tok.weight', transposed: true, elements: 64000 }]);
  });

  it('is the same for every storage of the same weights, and fewer for structured pruning', () => {
    for (const recipe of ['int8', 'q4', 'q8', 'fp16', 'prune:0.5', 'prune:0.5+int8']) {
      const c = count(variant(model, recipe));
      assert.equal(c.total, TORCH_BERT_PARAMETERS, recipe);
      assert.equal(c.tiedCopies.length, 1, `${recipe}: ${c.tiedCopies.join(', ')}`);
    }
    const pruned = count(variant(model, 'heads:0.5+ffn:0.5')).total;
    assert.ok(pruned < TORCH_BERT_PARAMETERS);
    assert.equal(count(variant(model, 'heads:0.5+ffn:0.5+q4')).total, pruned);
  });

  it('counts an untied head, in float and quantized alike', () => {
    const m = untied();
    const expected = TORCH_BERT_PARAMETERS + 64000;
    for (const [name, v] of [
      ['fp32', m],
      ['int8', variant(m, 'int8')],
      ['q4', variant(m, 'q4')],
      ['fp16', variant(m, 'fp16')],
    ] as const) {
      const c = count(v);
      assert.equal(c.total, expected, name);
      assert.deepEqual(c.tiedCopies, [], name);
    }
  });

  it('is what tlc inspect reports', () => {
    assert.equal(summarize(model).parameters, TORCH_BERT_PARAMETERS);
    assert.equal(summarize(variant(model, 'int8')).parameters, TORCH_BERT_PARAMETERS);
  });
});
