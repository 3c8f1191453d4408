/**
 * Gradual magnitude pruning: the cubic schedule of Zhu & Gupta, masks applied to a live Trainer (weights and
 * AdamW moments), and the toy copy task of test/train/toy.ts trained to 50% sparsity that still reaches a
 * low loss.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cubicSparsity, GradualPruner } from '../../../src/compress/prune/index.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import { makeSchedule } from '../../../src/train/schedule.js';
import { Trainer } from '../../../src/train/trainer.js';
import { Rng } from '../../../src/util/rng.js';
import { copyBatch, toyConfig } from '../../train/toy.js';

describe('cubic sparsity schedule', () => {
  const s = { initialSparsity: 0.1, finalSparsity: 0.9, startStep: 100, endStep: 200, frequency: 10 };

  it('follows s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³, held between updates', () => {
    assert.equal(cubicSparsity(0, s), 0, 'nothing before t0');
    assert.equal(cubicSparsity(99, s), 0);
    assert.ok(Math.abs(cubicSparsity(100, s) - 0.1) < 1e-12, 's_i at t0');
    const at150 = 0.9 + (0.1 - 0.9) * 0.5 ** 3;
    assert.ok(Math.abs(cubicSparsity(150, s) - at150) < 1e-12);
    assert.equal(cubicSparsity(155, s), cubicSparsity(150, s), 'constant until the next update');
    assert.equal(cubicSparsity(200, s), 0.9);
    assert.equal(cubicSparsity(10_000, s), 0.9);
    // fast first, slow last: the first tenth of the way covers more than the last half
    assert.ok(cubicSparsity(110, s) - cubicSparsity(100, s) > cubicSparsity(199, s) - cubicSparsity(150, s));
  });

  it('rejects inconsistent settings', async () => {
    const trainer = { step: 0, params: new Map(), paramInfo: [], optimizer: { state: new Map() } };
    assert.throws(() => new GradualPruner(trainer, { ...s, endStep: 50 }), { code: 'CONFIG_INVALID' });
    assert.throws(() => new GradualPruner(trainer, { ...s, finalSparsity: 1.2 }), { code: 'CONFIG_INVALID' });
    assert.throws(() => new GradualPruner(trainer, s), { code: 'CONFIG_INVALID', message: /no parameter/ });
  });
});

describe('GradualPruner', () => {
  it('trains the toy copy task to 50% sparsity and still reaches a low loss', async () => {
    const config = toyConfig();
    const train = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'loss', dropout: true });
    const evaluate = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'loss', dropout: false });
    const trainer = await Trainer.create(
      train,
      {
        seed: 1,
        schedule: makeSchedule({ peak: 3e-3, warmupSteps: 20, decay: 'constant' }),
        clipNorm: 1,
        threads: 2,
      },
      evaluate,
    );
    try {
      const pruner = new GradualPruner(trainer, {
        finalSparsity: 0.5,
        startStep: 40,
        endStep: 200,
        frequency: 20,
      });
      assert.deepEqual(
        [...pruner.names].sort(),
        trainer.paramInfo
          .filter((p) => p.role === 'weight')
          .map((p) => p.name)
          .sort(),
      );
      const data = Rng.seeded(2);
      const reports = [];
      let loss = Number.POSITIVE_INFINITY;
      for (let s = 0; s < 320; s++) {
        loss = (await trainer.trainStep([copyBatch(data, 32)])).loss;
        reports.push(pruner.afterStep());
      }
      const updates = reports.filter((r) => r.updated).map((r) => r.step);
      assert.deepEqual(updates, [40, 60, 80, 100, 120, 140, 160, 180, 200]);
      assert.equal(reports[30]!.sparsity < 0.01, true, 'dense before t0');
      assert.ok(reports[100]!.sparsity > 0.3 && reports[100]!.sparsity < 0.5, `${reports[100]!.sparsity}`);
      // Exactly the target from the end step on: pruned weights stayed at zero through 120 more updates.
      assert.ok(Math.abs(pruner.sparsity() - 0.5) < 1e-4, `sparsity ${pruner.sparsity()}`);
      for (const name of pruner.names) {
        const p = trainer.params.get(name)!;
        const { m, v } = trainer.optimizer.state.get(name)!;
        for (let i = 0; i < p.length; i++) {
          if (p[i] === 0) assert.ok(m[i] === 0 && v[i] === 0, `${name}[${i}]: moments of a pruned weight`);
        }
      }
      const held = await trainer.evaluate(copyBatch(Rng.seeded(99), 64));
      assert.ok(loss < 0.05, `training loss at 50% sparsity: ${loss}`);
      assert.ok(held < 0.05, `held-out loss at 50% sparsity: ${held}`);
    } finally {
      await trainer.dispose();
    }
  });
});
