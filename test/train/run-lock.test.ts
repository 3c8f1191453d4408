/** The run folder's lock (one writer at a time, stale locks taken over) and the clean-up of killed runs' files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isTlcError } from '../../src/errors/index.js';
import { LOCK_FILE } from '../../src/run-folder/files.js';
import { lockRunFolder, processStart } from '../../src/run-folder/lock.js';
import { removeStaleTemporaries } from '../../src/run-folder/temporaries.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-run-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The PID of a process that has just ended (so no process has it, short of a PID wrap-around). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { encoding: 'utf8' });
  return r.pid;
}

function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

const refusal = (holder: RegExp) => (e: unknown) =>
  isTlcError(e) && e.code === 'RUN_LOCKED' && holder.test(e.message);

describe('run folder lock', () => {
  it('lets one writer in, names it to the next, and is free again once released', () => {
    const out = folder('one');
    const lock = lockRunFolder(out);
    const held = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')) as { pid: number; parent: number };
    assert.equal(held.pid, process.pid);
    assert.equal(held.parent, process.ppid);
    assert.throws(() => lockRunFolder(out), refusal(new RegExp(`PID ${process.pid}\\b`)));
    lock.release();
    assert.equal(existsSync(join(out, LOCK_FILE)), false);
    lockRunFolder(out).release();
  });

  it('takes over a lock whose process is gone, or that cannot be read', () => {
    const out = folder('stale');
    const pid = deadPid();
    writeFileSync(
      join(out, LOCK_FILE),
      JSON.stringify({ pid, parent: 1, host: hostname(), since: new Date().toISOString() }),
    );
    const lock = lockRunFolder(out);
    assert.equal(
      (JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')) as { pid: number }).pid,
      process.pid,
    );
    lock.release();
    writeFileSync(join(out, LOCK_FILE), '{"pid": 12'); // cut short
    lockRunFolder(out).release();
  });

  it('takes over a lock whose PID now belongs to a process started at another time', () => {
    const out = folder('reused');
    const started = processStart(process.ppid);
    const reused = { pid: process.ppid, parent: 1, host: hostname(), since: new Date().toISOString() };
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ ...reused, started }));
    assert.throws(() => lockRunFolder(out), refusal(new RegExp(`PID ${process.ppid}\\b`)));
    if (started === undefined) return; // no /proc: the PID alone decides
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ ...reused, started: started + 1 }));
    lockRunFolder(out).release();
  });

  it('does not take over a lock from another machine, and says how to remove it', () => {
    const out = folder('remote');
    writeFileSync(
      join(out, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), parent: 1, host: 'elsewhere.example', since: '2024-01-01T00:00:00Z' }),
    );
    assert.throws(() => lockRunFolder(out), refusal(/elsewhere\.example[\s\S]*run\.lock/));
  });

  it('leaves a lock that another holder took', () => {
    const out = folder('taken');
    const lock = lockRunFolder(out);
    const other = JSON.stringify({ pid: 1, parent: 0, host: hostname(), since: new Date().toISOString() });
    writeFileSync(join(out, LOCK_FILE), other);
    lock.release();
    assert.equal(readFileSync(join(out, LOCK_FILE), 'utf8'), other);
  });
});

describe('temporary files of killed runs', () => {
  it('removes those of dead processes and keeps this process’s and live ones', () => {
    const out = folder('tmp');
    const dead = deadPid();
    const files = {
      deadCheckpoint: `.checkpoint.safetensors.${dead}.tmp`,
      deadLog: `log.jsonl.${dead}.tmp`,
      mine: `.best.safetensors.${process.pid}.tmp`,
      live: `.checkpoint.safetensors.${process.ppid}.tmp`,
      other: 'notes.tmp',
    };
    for (const f of Object.values(files)) writeFileSync(join(out, f), Buffer.alloc(1000));
    const removed = removeStaleTemporaries(out);
    assert.deepEqual(removed.files.sort(), [files.deadCheckpoint, files.deadLog].sort());
    assert.equal(removed.bytes, 2000);
    for (const f of [files.mine, files.live, files.other]) assert.ok(existsSync(join(out, f)), f);
  });
});
