/** The run log on resume: rows past the checkpoint's step are dropped, so no step is logged twice. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { appendLog, readLog, truncateLog } from '../../src/run-folder/log.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const row = (step: number) => ({
  step,
  seconds: step,
  wall_seconds: step,
  tokens: step * 10,
  train_loss: 1,
  lr: 0.001,
  validation: { loss: 2 },
});

describe('truncateLog', () => {
  it('drops rows after the checkpoint step and a line cut short, keeping the rest byte for byte', () => {
    const path = join(dir, 'log.jsonl');
    for (const step of [100, 200, 300]) appendLog(path, row(step));
    appendFileSync(path, '{"step":40');
    const before = readFileSync(path, 'utf8').split('\n');
    assert.equal(truncateLog(path, 200), 2);
    assert.deepEqual(
      readLog(path).map((r) => r.step),
      [100, 200],
    );
    assert.equal(readFileSync(path, 'utf8'), `${before.slice(0, 2).join('\n')}\n`);
    assert.equal(truncateLog(path, 200), 0);
    assert.equal(truncateLog(join(dir, 'missing.jsonl'), 5), 0);
  });
});
