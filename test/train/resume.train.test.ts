/**
 * Resuming a run folder: a resume with nothing left to train adds no log row, a stop before the first step still
 * saves a checkpoint to resume from, and the temporary files and lock of a killed run do not get in the way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLog } from '../../src/run-folder/log.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { countingText, tinyRun } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const DATA = join(dir, 'text.txt');
writeFileSync(
  DATA,
  countingText(Rng.seeded(5), WORDS, 150, () => 20),
);
const quiet = { log: () => {} };

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('resuming a run folder', () => {
  it('a resume that trains no step adds no log row and reports the last validation', async () => {
    const out = join(dir, 'zero');
    const config = tinyRun({ data: [DATA], maxSteps: '20', evalEvery: '10', width: '32', out });
    const first = await runTraining(config, quiet);
    const rows = readFileSync(join(out, 'log.jsonl'), 'utf8');
    const again = await runTraining(config, quiet, true);
    assert.equal(again.steps, 20);
    assert.equal(readFileSync(join(out, 'log.jsonl'), 'utf8'), rows, 'the log is unchanged');
    assert.deepEqual(again.validation, first.validation);
    assert.equal(again.stoppedBy, 'max-steps');
  });

  it('takes over a killed run’s lock and removes its temporary files', async () => {
    const out = join(dir, 'killed');
    const config = tinyRun({ data: [DATA], maxSteps: '10', evalEvery: '10', width: '32', out });
    await runTraining(config, quiet);
    const dead = deadPid();
    const lock = { pid: dead, parent: 1, host: hostname(), since: new Date().toISOString() };
    writeFileSync(join(out, 'run.lock'), JSON.stringify(lock));
    writeFileSync(join(out, `.checkpoint.safetensors.${dead}.tmp`), Buffer.alloc(4096));
    writeFileSync(join(out, `log.jsonl.${dead}.tmp`), 'x');
    const messages: string[] = [];
    await runTraining({ ...config, maxSteps: 15 }, { log: (m) => messages.push(m) }, true);
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith('.tmp') || f === 'run.lock'),
      [],
    );
    assert.ok(
      messages.some((m) => /removed 2 temporary file/.test(m)),
      messages.join('\n'),
    );
    assert.deepEqual(
      readLog(join(out, 'log.jsonl')).map((r) => r.step),
      [10, 15],
    );
  });

  it('a stop asked for before the first step saves a checkpoint to resume from', async () => {
    const out = join(dir, 'early');
    const config = tinyRun({ data: [DATA], maxSteps: '10', evalEvery: '5', width: '32', out });
    const summary = await runTraining(config, { ...quiet, shouldStop: () => true });
    assert.equal(summary.stoppedBy, 'interrupt');
    assert.equal(summary.steps, 0);
    assert.equal(readCheckpoint(join(out, 'checkpoint.safetensors')).meta.step, 0);
    assert.equal(existsSync(join(out, 'run.lock')), false);
    const resumed = await runTraining(config, quiet, true);
    assert.equal(resumed.steps, 10);
    assert.deepEqual(
      readLog(join(out, 'log.jsonl')).map((r) => r.step),
      [5, 10],
    );
  });
});
