/**
 * A recipe whose pruning step changed nothing is not that recipe: applyRecipe lists the step with its pass's
 * reasons, and unchangedVariant turns a step unchanged in every file of a variant into the reason it is declined.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRecipe, unchangedVariant } from '../../../src/compress/apply-recipe.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import { tinyEncoder, tinySeq2Seq } from './helpers.js';

describe('a variant whose recipe changed nothing', () => {
  it('lists a heads step that rounds to no head, with the reason', () => {
    const r = applyRecipe(tinyEncoder(), parseRecipe('heads:0.01'));
    assert.deepEqual(
      r.unchanged.map((u) => u.step),
      ['heads'],
    );
    assert.match(r.unchanged[0]!.reasons.join('\n'), /rounds to none/);
    assert.match(unchangedVariant([r]) ?? '', /^declined: heads changed nothing \(.*rounds to none/);
  });

  it('keeps the heads and ffn steps apart: ffn pruned, heads not', () => {
    const r = applyRecipe(tinyEncoder(), parseRecipe('heads:0.01+ffn:0.5'));
    assert.deepEqual(
      r.unchanged.map((u) => u.step),
      ['heads'],
    );
    assert.ok(r.unchanged[0]!.reasons.every((x) => !/neurons|feed-forward/.test(x)));
  });

  it('has nothing to say when every pruning step changed something', () => {
    const r = applyRecipe(tinyEncoder(), parseRecipe('heads:0.5+ffn:0.5'));
    assert.deepEqual(r.unchanged, []);
    assert.equal(unchangedVariant([r]), undefined);
  });

  it('lists a magnitude prune that selected no tensor', () => {
    const r = applyRecipe(tinyEncoder(), parseRecipe('prune:0.5'), { pruneInclude: ['no.such.weight'] });
    assert.deepEqual(
      r.unchanged.map((u) => u.step),
      ['prune'],
    );
    assert.match(unchangedVariant([r]) ?? '', /^declined: prune changed nothing/);
  });

  it('declines a variant only when the step changed nothing in every file', () => {
    const recipe = parseRecipe('heads:0.5');
    const changed = applyRecipe(tinySeq2Seq(), recipe);
    const unchanged = applyRecipe(tinyEncoder(), parseRecipe('heads:0.01'));
    assert.equal(unchangedVariant([changed, unchanged]), undefined);
    assert.match(unchangedVariant([unchanged, unchanged]) ?? '', /heads changed nothing/);
  });

  it('ignores steps that are not pruning', () => {
    const r = applyRecipe(tinyEncoder(), parseRecipe('fp16'));
    assert.deepEqual(r.unchanged, []);
  });
});
