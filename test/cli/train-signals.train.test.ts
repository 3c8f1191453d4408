/**
 * `tlc train` under signals, run as a shell runs it: the PID the shell gets (`tlc train … &`, `$!`) is the launcher
 * that relaunched itself with malloc tuning (src/cli/malloc-tuning.ts), so every signal to it must reach the
 * training, SIGKILL included, and a run folder being written must refuse a second writer.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLog } from '../../src/run-folder/log.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { countingText } from '../helpers/train.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TLC = join(ROOT, 'src', 'cli', 'tlc.ts');
const dir = mkdtempSync(join(tmpdir(), 'tlc-train-signals-'));
/** Every process a test started or found, killed at the end whatever happened. */
const started = new Set<number>();
after(() => {
  for (const pid of started) {
    if (gone(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const DATA = join(dir, 'text.txt');
writeFileSync(
  DATA,
  countingText(Rng.seeded(3), WORDS, 300, () => 20),
);

/** A tiny MLM run that would train for minutes: the tests stop it. */
const TINY = [
  ...['--task', 'mlm', '--width', '32', '--layers', '1', '--heads', '2', '--max-length', '32'],
  ...['--vocab-size', '300', '--batch-tokens', '256', '--eval-tokens', '512', '--threads', '1'],
  ...['--time-budget', '10m', '--max-steps', '1000000', '--data', DATA],
];

/** The environment of a user who did not opt out of the malloc tuning (so `tlc train` relaunches itself). */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TLC_MALLOC_TUNING;
  delete env.GLIBC_TUNABLES;
  delete env.TLC_LAUNCHER_PID;
  return env;
}

interface Started {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function tlc(args: readonly string[], options: { detached?: boolean } = {}): Started {
  const proc = spawn(process.execPath, ['--import', 'tsx', TLC, ...args], {
    cwd: ROOT,
    env: userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  started.add(proc.pid!);
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  proc.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { proc, pid: proc.pid!, stderr: () => stderr, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ok` for a running `tlc train`: fails at once, with its stderr, if the run ended instead. */
const running = (run: Started, ok: () => boolean) => () => {
  assert.ok(run.proc.exitCode === null && run.proc.signalCode === null, `tlc train ended:\n${run.stderr()}`);
  return ok();
};

async function waitFor(
  what: string,
  ok: () => boolean,
  timeoutMs: number,
  context = () => '',
): Promise<number> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}\n${context()}`);
    await sleep(20);
  }
  return performance.now() - t0;
}

/** /proc/<pid>/stat: state and parent (the command name may hold spaces, so parse after its ')'). */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie that only waits for whoever adopted it to reap it. */
const gone = (pid: number) => {
  const s = procStat(pid);
  return s === undefined || s.state === 'Z';
};

function childrenOf(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => procStat(p)?.ppid === pid);
  for (const c of children) started.add(c);
  return children;
}

/** What the run folder holds, to see whether anything still writes it. */
function snapshot(out: string): string {
  return readdirSync(out)
    .sort()
    .map((f) => {
      const s = statSync(join(out, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    })
    .join('\n');
}

const linux = process.platform === 'linux';
/** Each test ends within a minute even when a run does not stop (`after` kills what is left). */
const BOUNDED = { timeout: 60_000 };

/** Starts a run and waits until it has written a checkpoint (so it is training). */
async function startTraining(out: string, evalEvery = '5'): Promise<Started> {
  const run = tlc(['train', ...TINY, '--eval-every', evalEvery, '--out', out]);
  await waitFor(
    'the first checkpoint',
    running(run, () => existsSync(join(out, 'checkpoint.safetensors'))),
    45_000,
    run.stderr,
  );
  return run;
}

describe('tlc train under signals', { skip: !linux && 'the launcher relaunches only on Linux' }, () => {
  it('SIGKILL to the PID the shell got stops the training within a second', BOUNDED, async () => {
    const out = join(dir, 'kill9');
    const run = await startTraining(out);
    const [child] = childrenOf(run.pid);
    assert.ok(child !== undefined, 'tlc train relaunched itself with malloc tuning');
    run.proc.kill('SIGKILL');
    const took = await waitFor('the training to stop', () => gone(child), 1000, run.stderr);
    assert.ok(took < 1000, `stopped after ${took.toFixed(0)} ms`);
    const before = snapshot(out);
    await sleep(400);
    assert.equal(snapshot(out), before, 'nothing writes the run folder any more');

    // The killed run left its lock (and a checkpoint it was writing, say): a resume takes both over.
    const lock = JSON.parse(readFileSync(join(out, 'run.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, child);
    const stale = join(out, `.checkpoint.safetensors.${child}.tmp`);
    writeFileSync(stale, Buffer.alloc(1024));
    const step = readCheckpoint(join(out, 'checkpoint.safetensors')).meta.step;
    const resumed = tlc(['train', '--resume', '--out', out, '--max-steps', String(step + 3)]);
    const { code } = await resumed.exited;
    assert.equal(code, 0, resumed.stderr());
    assert.equal(existsSync(stale), false, 'the killed run’s temporary checkpoint is removed');
    assert.equal(existsSync(join(out, 'run.lock')), false, 'the lock is released at the end');
    assert.equal(readCheckpoint(join(out, 'checkpoint.safetensors')).meta.step, step + 3);
  });

  it('refuses a second --resume on a folder being written, naming the holder', BOUNDED, async () => {
    const out = join(dir, 'locked');
    const run = await startTraining(out);
    const [child] = childrenOf(run.pid);
    const second = tlc(['train', '--resume', '--out', out, '--max-steps', '1000000']);
    const { code } = await second.exited;
    assert.equal(code, 1);
    assert.match(second.stderr(), /error\[RUN_LOCKED\]/);
    assert.match(second.stderr(), new RegExp(`PID ${child}\\b`));
    assert.match(second.stderr(), new RegExp(`PID ${run.pid}\\b`), 'names the launcher the shell knows too');
    const fresh = tlc(['train', ...TINY, '--eval-every', '5', '--out', out]);
    assert.equal((await fresh.exited).code, 1);
    assert.match(fresh.stderr(), /error\[RUN_LOCKED\]/);
    assert.ok(!gone(run.pid), 'the holder keeps running');

    run.proc.kill('SIGTERM');
    assert.equal((await run.exited).code, 143, run.stderr());
    const steps = readLog(join(out, 'log.jsonl')).map((r) => r.step);
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b).filter((s, i, all) => all.indexOf(s) === i),
      'one writer: log steps rise and never repeat',
    );
  });

  it('SIGTSTP and SIGCONT to the launcher pause and continue the training', BOUNDED, async () => {
    const out = join(dir, 'pause');
    const run = await startTraining(out);
    const [child] = childrenOf(run.pid);
    assert.ok(child !== undefined);
    run.proc.kill('SIGTSTP');
    await waitFor(
      'both to stop',
      () => procStat(run.pid)?.state === 'T' && procStat(child)?.state === 'T',
      1000,
    );
    const paused = snapshot(out);
    await sleep(300);
    assert.equal(snapshot(out), paused, 'a paused run writes nothing');
    run.proc.kill('SIGCONT');
    await waitFor(
      'both to run again',
      () => procStat(run.pid)?.state !== 'T' && procStat(child)?.state !== 'T',
      1000,
    );
    await waitFor('the run to write again', () => snapshot(out) !== paused, 10_000, run.stderr);
    run.proc.kill('SIGTERM');
    assert.equal((await run.exited).code, 143, run.stderr());
  });

  const stops: readonly { name: string; send: (run: Started) => void; code: number }[] = [
    { name: 'SIGTERM to the launcher', send: (r) => r.proc.kill('SIGTERM'), code: 143 },
    { name: 'SIGINT to the launcher (kill -INT)', send: (r) => r.proc.kill('SIGINT'), code: 130 },
    // Ctrl-C: the terminal signals the whole foreground group, so the training gets it twice (directly and
    // forwarded) and must count it once, or it would quit without saving.
    { name: 'Ctrl-C (SIGINT to the process group)', send: (r) => process.kill(-r.pid, 'SIGINT'), code: 130 },
  ];
  for (const stop of stops) {
    it(`${stop.name} saves a checkpoint and exits ${stop.code}`, BOUNDED, async () => {
      const out = join(dir, `stop-${stop.code}-${stops.indexOf(stop)}`);
      const run = tlc(['train', ...TINY, '--eval-every', '1000000', '--out', out], { detached: true });
      await waitFor(
        'training to start',
        running(run, () => /device: /.test(run.stderr())),
        45_000,
        run.stderr,
      );
      await sleep(500);
      assert.equal(existsSync(join(out, 'checkpoint.safetensors')), false, 'no checkpoint before the stop');
      const [child] = childrenOf(run.pid);
      stop.send(run);
      const { code } = await run.exited;
      assert.equal(code, stop.code, run.stderr());
      assert.match(run.stderr(), /checkpoint saved at step \d+/);
      assert.ok(readCheckpoint(join(out, 'checkpoint.safetensors')).meta.step > 0);
      assert.ok(child !== undefined && gone(child));
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.tmp') || f === 'run.lock'),
        [],
        'no lock or temporary file is left',
      );
    });
  }
});
