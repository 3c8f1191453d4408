/** Recipe parsing: steps, amounts, suffixes and the errors users see. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRecipe, variantFileName } from '../../src/compress/recipe.js';

describe('recipes', () => {
  it('parse chains into steps and file suffixes', () => {
    assert.deepEqual(parseRecipe('int8').steps, [{ name: 'int8' }]);
    const r = parseRecipe('heads:0.25+ffn:0.5+int8');
    assert.deepEqual(r.steps, [
      { name: 'heads', amount: 0.25 },
      { name: 'ffn', amount: 0.5 },
      { name: 'int8' },
    ]);
    assert.equal(r.suffix, 'heads25_ffn50_int8');
    assert.equal(variantFileName('model.onnx', parseRecipe('prune:0.5+int8')), 'model_pruned50_int8.onnx');
    assert.equal(variantFileName('encoder_model.onnx', parseRecipe('q4')), 'encoder_model_q4.onnx');
  });

  it('reject what cannot work, saying why', () => {
    assert.throws(() => parseRecipe('int7'), {
      code: 'CLI_USAGE',
      message: /unknown recipe step "int7".*prune, heads/,
    });
    assert.throws(() => parseRecipe('prune'), { message: /needs a fraction/ });
    assert.throws(() => parseRecipe('prune:1.5'), { message: /needs a fraction/ });
    assert.throws(() => parseRecipe('int8:2'), { message: /takes no value/ });
    assert.throws(() => parseRecipe('int8+q4'), { message: /quantizes more than once/ });
    assert.throws(() => parseRecipe('int8+prune:0.5'), { message: /must be the last step/ });
    assert.throws(() => parseRecipe('prune:0.5++int8'), { message: /empty step/ });
  });
});
