/**
 * `tlc serve` fails fast: a busy port, an invalid port and a missing or empty models folder end the process
 * with a non-zero status and a message that says what to do, before any model is loaded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../../src/server/server.js';
import { TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tlc-startup-'));
const models = join(dir, 'models');
let busy: Server;
let busyPort = 0;

before(async () => {
  mkdirSync(join(models, 'bert'), { recursive: true });
  writeForeignFolder(join(models, 'bert'), TORCH_BERT, { tokenizer: 1000 });
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
after(() => {
  busy?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `tlc serve` and waits for it to exit (killed after 20 s); returns its status, stderr and seconds. */
function serve(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stderr: string; seconds: number }>((resolve) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/tlc.ts'), 'serve', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

describe('tlc serve start-up', () => {
  it('exits non-zero on a busy port, before loading any model', async () => {
    const r = await serve(['--models', models, '--host', '127.0.0.1', '--port', String(busyPort)]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: it is in use/);
    assert.doesNotMatch(r.stderr, /loading models/);
  });

  it('exits non-zero on an invalid PORT', async () => {
    const r = await serve(['--models', models], { PORT: '99999' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /at most 65535, got 99999/);
  });

  it('exits non-zero on a work budget that is not a positive integer, naming the flag', async () => {
    for (const flag of ['--max-work', '--max-client-work', '--max-batch-work']) {
      const r = await serve(['--models', models, '--port', '0', flag, '0']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${flag} must be an integer ≥ 1, got "0"`));
    }
  });

  it('exits non-zero on a missing or empty models folder, unless --allow-empty', async () => {
    const missing = await serve(['--models', join(dir, 'nonexistent'), '--port', '0']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /models folder .*nonexistent cannot be read/);
    const emptyDir = join(dir, 'empty');
    mkdirSync(emptyDir);
    const empty = await serve(['--models', emptyDir, '--port', '0']);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /is empty/);
    const itself = await serve(['--models', join(models, 'bert'), '--port', '0']);
    assert.equal(itself.status, 2);
    assert.match(itself.stderr, /is itself a model folder/);
  });

  it('with --allow-empty, starts on an empty folder and reports not ready', async () => {
    const server = await startServer({
      modelsDir: join(dir, 'nonexistent'),
      allowEmpty: true,
      port: 0,
      host: '127.0.0.1',
      processMetrics: false,
      log: () => {},
    });
    try {
      assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
      assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 503);
    } finally {
      await server.close();
    }
  });
});
