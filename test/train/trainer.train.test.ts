/** The step runner end to end: a toy task learned to near-zero loss, and exact resume from a checkpoint. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { makeSchedule } from '../../src/train/schedule.js';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { copyBatch, toyConfig } from './toy.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-trainer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const options = (seed: number): TrainerOptions => ({
  seed,
  schedule: makeSchedule({ peak: 3e-3, warmupSteps: 20, decay: 'constant' }),
  clipNorm: 1,
  threads: 2,
});

async function makeTrainer(dropout: number, seed = 1): Promise<Trainer> {
  const config = toyConfig({ dropout, attentionDropout: dropout });
  const train = buildMlmEncoder(config, { rng: Rng.seeded(seed), head: 'loss', dropout: true });
  const evaluate = buildMlmEncoder(config, { rng: Rng.seeded(seed), head: 'loss', dropout: false });
  return Trainer.create(train, options(seed), evaluate);
}

describe('Trainer', () => {
  it('learns a copy task to near-zero loss', async () => {
    const trainer = await makeTrainer(0);
    try {
      const data = Rng.seeded(2);
      const first = await trainer.evaluate(copyBatch(Rng.seeded(99), 64));
      let last = Number.POSITIVE_INFINITY;
      for (let s = 0; s < 300; s++) last = (await trainer.trainStep([copyBatch(data, 32)])).loss;
      const held = await trainer.evaluate(copyBatch(Rng.seeded(99), 64));
      assert.ok(first > 2, `an untrained model is near chance (${first})`);
      assert.ok(last < 0.02, `training loss after 300 steps: ${last}`);
      assert.ok(held < 0.02, `held-out loss after 300 steps: ${held}`);
      assert.equal(trainer.step, 300);
    } finally {
      await trainer.dispose();
    }
  });

  it('accumulating two identical micro-batches equals one step on either (up to float rounding)', async () => {
    const a = await makeTrainer(0);
    const b = await makeTrainer(0);
    try {
      const halves = [copyBatch(Rng.seeded(3), 4), copyBatch(Rng.seeded(3), 4)];
      // Two identical halves: their mean gradient is the gradient of either half.
      const ra = await a.trainStep(halves);
      const rb = await b.trainStep([halves[0]!]);
      // JavaScript's norm of the accumulated gradients equals the graph's own (one micro-batch) norm.
      assert.ok(Math.abs(ra.gradNorm - rb.gradNorm) < 1e-5 * rb.gradNorm, `${ra.gradNorm} vs ${rb.gradNorm}`);
      assert.ok(Math.abs(ra.loss - rb.loss) < 1e-6);
      for (const [name, values] of a.params) {
        const other = b.params.get(name)!;
        for (let i = 0; i < values.length; i++)
          assert.ok(Math.abs(values[i]! - other[i]!) < 1e-6, `${name}[${i}]`);
      }
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('resumes from a checkpoint with bit-identical losses for the next 10 steps (dropout on)', async () => {
    const batches = (() => {
      const rng = Rng.seeded(4);
      return Array.from({ length: 20 }, () => copyBatch(rng, 16));
    })();
    const straight = await makeTrainer(0.1);
    const uninterrupted: number[] = [];
    for (const batch of batches) uninterrupted.push((await straight.trainStep([batch])).loss);
    await straight.dispose();

    const first = await makeTrainer(0.1);
    for (const batch of batches.slice(0, 10)) await first.trainStep([batch]);
    const path = join(dir, 'step10.safetensors');
    saveCheckpoint(first, path, { rng: Rng.seeded(9).state(), config: { note: 'toy' } });
    await first.dispose();

    const resumed = await makeTrainer(0.1);
    const meta = restoreCheckpoint(resumed, path);
    assert.equal(meta.step, 10);
    assert.deepEqual(meta.config, { note: 'toy' });
    assert.deepEqual(meta.rng, Rng.seeded(9).state());
    const after: number[] = [];
    for (const batch of batches.slice(10)) after.push((await resumed.trainStep([batch])).loss);
    await resumed.dispose();
    assert.deepEqual(after, uninterrupted.slice(10), 'identical to the last bit');
    assert.notEqual(uninterrupted[10], uninterrupted[11]);
  });

  it('refuses checkpoints that do not match', async () => {
    const trainer = await makeTrainer(0);
    try {
      const path = join(dir, 'mine.safetensors');
      saveCheckpoint(trainer, path, {});
      assert.equal(readCheckpoint(path).meta.step, 0);
      const other = await makeTrainer(0, 5);
      assert.throws(() => restoreCheckpoint(other, path), {
        code: 'CHECKPOINT_FAILED',
        message: /seed 1, the trainer uses 5/,
      });
      await other.dispose();
      const junk = join(dir, 'junk.safetensors');
      writeFileSync(junk, 'not a checkpoint');
      assert.throws(() => restoreCheckpoint(trainer, junk), {
        code: 'CHECKPOINT_FAILED',
        message: /junk\.safetensors/,
      });
    } finally {
      await trainer.dispose();
    }
  });
});
