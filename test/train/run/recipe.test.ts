/** The default recipe per task and size, and how `tlc train` flags override it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConfigFromFlags } from '../../../src/cli/commands/train.js';
import { defaultRecipe } from '../../../src/train/run/recipe.js';
import { tinyFlags } from '../../helpers/train.js';

describe('default training recipe', () => {
  it('uses ALiBi, post-LN up to 6 layers, and a rate ∝ 1/√width', () => {
    assert.deepEqual(defaultRecipe('mlm', { layers: 2, dModel: 128 }), {
      positions: 'alibi',
      preLayerNorm: false,
      lr: 2e-3,
      warmupSteps: 100,
      labelSmoothing: 0.1,
      dropout: 0.1,
    });
    assert.equal(defaultRecipe('mlm', { layers: 6, dModel: 256 }).lr, 1.4e-3);
    assert.equal(defaultRecipe('mlm', { layers: 6, dModel: 256 }).preLayerNorm, false);
    assert.equal(defaultRecipe('mlm', { layers: 12, dModel: 256 }).preLayerNorm, true);
    assert.equal(defaultRecipe('mlm', { layers: 8, dModel: 512 }).lr, 1e-3);
    assert.deepEqual(defaultRecipe('translation', { layers: 2, dModel: 128 }), {
      positions: 'learned',
      preLayerNorm: false,
      lr: 1e-3,
      warmupSteps: 400,
      labelSmoothing: 0.1,
      dropout: 0.3,
    });
    assert.equal(defaultRecipe('translation', { layers: 5, dModel: 256 }).lr, 7.1e-4);
  });

  it('fills what the command line leaves out, and the command line wins', () => {
    const unset = {
      lr: undefined,
      warmup: undefined,
      labelSmoothing: undefined,
      dropout: undefined,
      maxSteps: '1',
      out: 'runs/x',
    };
    const fromRecipe = runConfigFromFlags(tinyFlags({ ...unset, width: '512', layers: '8', heads: '8' }));
    assert.equal(fromRecipe.model.positions, 'alibi');
    assert.equal(fromRecipe.model.preLayerNorm, true);
    assert.equal(fromRecipe.lr, 1e-3);
    assert.equal(fromRecipe.warmupSteps, 100);
    assert.equal(fromRecipe.model.dropout, 0.1);
    const translation = runConfigFromFlags(tinyFlags({ ...unset, task: 'translation', corpus: 'en-fr' }));
    assert.deepEqual([translation.model.dropout, translation.model.attentionDropout], [0.3, 0.3]);
    assert.equal(translation.warmupSteps, 400);
    const given = runConfigFromFlags(
      tinyFlags({ ...unset, layers: '8', postLn: true, positions: 'learned', lr: '3e-4', warmup: '7' }),
    );
    assert.deepEqual(
      [given.model.positions, given.model.preLayerNorm, given.lr, given.warmupSteps],
      ['learned', false, 3e-4, 7],
    );
    assert.throws(() => runConfigFromFlags(tinyFlags({ ...unset, preLn: true, postLn: true })), {
      code: 'CLI_USAGE',
      message: /--pre-ln or --post-ln/,
    });
    assert.throws(() => runConfigFromFlags(tinyFlags({ ...unset, positions: 'rotary' })), {
      code: 'CLI_USAGE',
      message: /--positions must be one of learned, alibi/,
    });
  });
});
