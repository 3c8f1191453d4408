/**
 * `tlc serve` runs its sessions with the serving malloc settings (src/cli/malloc-tuning.ts): by default its session
 * worker processes get GLIBC_TUNABLES and the server runs as started; with `--isolation thread` it relaunches itself
 * with them. Either way it stops as the PID a supervisor knows is told to — SIGTERM drains and exits 0, one Ctrl-C
 * to the process group drains once, SIGKILL takes the sessions' processes with it. What the settings save is a figure of `npm run bench:reload`, not an assertion here.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVING_MALLOC_TUNABLES, servingEnvironment } from '../../src/cli/malloc-tuning.js';
import { TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TLC = join(ROOT, 'src', 'cli', 'tlc.ts');
const dir = mkdtempSync(join(tmpdir(), 'tlc-serve-malloc-'));
const models = join(dir, 'models');
/** Every process a test started or found, killed at the end whatever happened. */
const started = new Set<number>();

before(() => {
  mkdirSync(join(models, 'bert'), { recursive: true });
  writeForeignFolder(join(models, 'bert'), TORCH_BERT, { tokenizer: 1000 });
});
after(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('serving malloc tuning', () => {
  it('adds the tunables on Linux and keeps the rest of the environment', () => {
    assert.deepEqual(servingEnvironment({ PATH: '/bin', PORT: '9000' }, 'linux'), {
      PATH: '/bin',
      PORT: '9000',
      GLIBC_TUNABLES: SERVING_MALLOC_TUNABLES,
    });
    assert.equal(
      servingEnvironment({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX' }, 'linux')?.GLIBC_TUNABLES,
      `glibc.cpu.hwcaps=-AVX:${SERVING_MALLOC_TUNABLES}`,
    );
  });

  it('relaunches at most once, keeps what the user set, and not where opted out or glibc is absent', () => {
    const once = servingEnvironment({}, 'linux');
    assert.ok(once !== undefined);
    assert.equal(servingEnvironment(once, 'linux'), undefined);
    const [arena, mmap] = SERVING_MALLOC_TUNABLES.split(':');
    assert.equal(
      servingEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux')?.GLIBC_TUNABLES,
      `glibc.malloc.arena_max=4:${mmap}`,
    );
    assert.equal(servingEnvironment({ MALLOC_ARENA_MAX: '2' }, 'linux')?.GLIBC_TUNABLES, mmap);
    assert.equal(servingEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' }, 'linux')?.GLIBC_TUNABLES, arena);
    assert.equal(
      servingEnvironment({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' }, 'linux'),
      undefined,
    );
    assert.equal(servingEnvironment({ TLC_MALLOC_TUNING: 'off' }, 'linux'), undefined);
    assert.equal(servingEnvironment({}, 'darwin'), undefined);
    assert.equal(servingEnvironment({}, 'win32'), undefined);
  });

  // The dynamic loader prints the tunables glibc parsed from the environment (glibc ≥ 2.33).
  const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((p) => existsSync(p));
  it('is parsed by this glibc as one arena and a fixed 128 KiB threshold', {
    skip: loader === undefined,
  }, () => {
    const child = spawnSync(loader!, ['--list-tunables'], {
      env: { GLIBC_TUNABLES: SERVING_MALLOC_TUNABLES },
      encoding: 'utf8',
    });
    if (child.status !== 0) return; // an older glibc without --list-tunables
    assert.match(child.stdout, /glibc\.malloc\.arena_max: 0x1\b/);
    assert.match(child.stdout, /glibc\.malloc\.mmap_threshold: 0x20000\b/);
  });
});

/** The environment of a user who did not opt out of the malloc tuning. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['TLC_MALLOC_TUNING', 'GLIBC_TUNABLES', 'TLC_LAUNCHER_PID', 'MALLOC_ARENA_MAX'])
    delete env[name];
  delete env.MALLOC_MMAP_THRESHOLD_;
  return { ...env, ...extra };
}

interface Serving {
  readonly proc: ChildProcess;
  readonly url: string;
  /** The process that serves: the relaunched child, or the launcher itself when it did not relaunch. */
  readonly server: number;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {} // it exited meanwhile
  }
  for (const c of children) started.add(c);
  return children;
}

/** Gone, or a zombie that only waits for whoever adopted it to reap it. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * GLIBC_TUNABLES as `pid` was started with it. glibc before 2.39 cuts the variable at its first ':' in the
 * process's initial environment (what /proc shows) while parsing it, so what shows there is a prefix of it.
 */
function startedTunables(pid: number): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((e) => e.startsWith('GLIBC_TUNABLES='));
  return entry?.slice('GLIBC_TUNABLES='.length);
}

/** Starts `tlc serve` on the tiny BERT folder and waits until it serves (or fails with its stderr). */
async function serve(env: NodeJS.ProcessEnv, detached = false, extra: string[] = []): Promise<Serving> {
  const args = ['--import', 'tsx', TLC, 'serve', '--models', models, '--port', '0', '--host', '127.0.0.1'];
  const proc = spawn(process.execPath, [...args, '--threads', '1', ...extra], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached,
  });
  started.add(proc.pid!);
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tlc serve did not start:\n${stderr}`)), 45_000);
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const match = / at (http:\/\/\S+) /.exec(stderr);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`tlc serve exited:\n${stderr}`)));
  });
  const below = childrenOf(proc.pid!).filter((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(TLC),
  );
  assert.ok(below.length <= 1, `one relaunched server at most, found ${below.length}`);
  return { proc, url, server: below[0] ?? proc.pid!, stderr: () => stderr, exited };
}

/** The session worker processes below `server`. */
function workersOf(server: number): number[] {
  return childrenOf(server).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('session-worker');
    } catch {
      return false;
    }
  });
}

/** The tunables `pid` started with are (a prefix of) the serving ones, as glibc leaves them in /proc. */
function hasServingTunables(pid: number): boolean {
  const tunables = startedTunables(pid) ?? '';
  return tunables !== '' && `${SERVING_MALLOC_TUNABLES}:`.startsWith(`${tunables}:`);
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!gone(pid) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return gone(pid);
}

const linux = process.platform === 'linux';
const BOUNDED = { timeout: 90_000 };

describe('tlc serve with malloc tuning', { skip: !linux && 'the tunables are glibc’s: Linux only' }, () => {
  it(
    'serves as started; its session worker processes have the tunables; SIGTERM drains, exits 0 and ends them',
    BOUNDED,
    async () => {
      const s = await serve(userEnv());
      assert.equal(s.server, s.proc.pid, 'no relaunch: the sessions are not in this process');
      assert.equal(startedTunables(s.server), undefined, 'the server runs as started');
      const workers = workersOf(s.server);
      assert.ok(workers.length >= 1, 'one session worker process per variant');
      for (const w of workers) {
        assert.ok(hasServingTunables(w), `worker ${w}: ${startedTunables(w)}`);
        const argv = readFileSync(`/proc/${w}/cmdline`, 'utf8').split('\0');
        assert.ok(argv.includes('--expose-gc'), `a worker may collect after a load: ${argv.join(' ')}`);
      }
      assert.equal((await fetch(`${s.url}/v2/health/ready`)).status, 200);
      s.proc.kill('SIGTERM');
      const { code, signal } = await s.exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, s.stderr());
      assert.match(s.stderr(), /SIGTERM: finishing \d+ request\(s\), then stopping/);
      for (const w of workers)
        assert.ok(await waitUntilGone(w, 5_000), `worker ${w} stopped with the server`);
    },
  );

  it(
    'with TLC_MALLOC_TUNING=off, the workers run without the tunables; SIGTERM exits 0',
    BOUNDED,
    async () => {
      const s = await serve(userEnv({ TLC_MALLOC_TUNING: 'off' }));
      assert.equal(s.server, s.proc.pid, 'no relaunch');
      for (const w of workersOf(s.server)) assert.equal(startedTunables(w), undefined);
      s.proc.kill('SIGTERM');
      assert.equal((await s.exited).code, 0, s.stderr());
    },
  );

  it(
    'a Ctrl-C to the whole process group drains once and exits 0 (the workers leave the stop to it)',
    BOUNDED,
    async () => {
      const s = await serve(userEnv(), true);
      process.kill(-s.proc.pid!, 'SIGINT'); // the server and its workers all get it, as from a terminal
      const { code } = await s.exited;
      assert.equal(code, 0, s.stderr());
      assert.equal(s.stderr().match(/SIGINT: finishing/g)?.length, 1, s.stderr());
      assert.doesNotMatch(s.stderr(), /session worker (exited|crashed)/, 'no worker died of the signal');
    },
  );

  it('SIGKILL to the server ends its session worker processes', BOUNDED, async () => {
    const s = await serve(userEnv());
    const workers = workersOf(s.server);
    assert.ok(workers.length >= 1);
    s.proc.kill('SIGKILL');
    await s.exited;
    for (const w of workers) assert.ok(await waitUntilGone(w, 10_000), `worker ${w} outlived its server`);
  });
});

describe('tlc serve --isolation thread with malloc tuning', {
  skip: !linux && 'the tunables are glibc’s: Linux only',
}, () => {
  const THREAD = ['--isolation', 'thread'];
  it(
    'serves from a relaunched child that has the tunables; SIGTERM drains and exits 0',
    BOUNDED,
    async () => {
      const s = await serve(userEnv(), false, THREAD);
      assert.notEqual(s.server, s.proc.pid, 'tlc serve relaunched itself');
      assert.ok(hasServingTunables(s.server), startedTunables(s.server));
      assert.equal(startedTunables(s.proc.pid!), undefined, 'the launcher runs as started');
      assert.deepEqual(workersOf(s.server), [], 'worker threads, no worker processes');
      const argv = readFileSync(`/proc/${s.server}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--expose-gc'), `workers may collect after a load: ${argv.join(' ')}`);
      assert.equal((await fetch(`${s.url}/v2/health/ready`)).status, 200);
      s.proc.kill('SIGTERM');
      const { code, signal } = await s.exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, s.stderr());
      assert.match(s.stderr(), /SIGTERM: finishing \d+ request\(s\), then stopping/);
      assert.ok(await waitUntilGone(s.server, 5_000), 'the server stopped with the launcher');
    },
  );

  it('a Ctrl-C to the whole process group drains once and exits 0', BOUNDED, async () => {
    const s = await serve(userEnv(), true, THREAD);
    assert.notEqual(s.server, s.proc.pid);
    process.kill(-s.proc.pid!, 'SIGINT'); // the launcher and the server both get it, as from a terminal
    const { code } = await s.exited;
    assert.equal(code, 0, s.stderr());
    assert.equal(s.stderr().match(/SIGINT: finishing/g)?.length, 1, s.stderr());
  });

  it('SIGKILL to the launcher stops the server too', BOUNDED, async () => {
    const s = await serve(userEnv(), false, THREAD);
    assert.notEqual(s.server, s.proc.pid);
    s.proc.kill('SIGKILL');
    await s.exited;
    assert.ok(await waitUntilGone(s.server, 10_000), 'the relaunched server outlived its launcher');
  });
});
