/**
 * bench:reload — native memory across hot reloads. Starts `tlc serve` (the built CLI: `npm run build`) as a child
 * process on one model of a models folder (symlinked alone into a temporary repository), keeps a couple of
 * fill-mask clients busy over loopback (each request on the next loaded variant, so every session runs), and
 * reloads the model N times through `POST /v2/repository/models/<name>/load`. Prints the resident set (VmRSS of
 * the process that holds the sessions: the relaunched child when `tlc serve` relaunches itself, the launcher's
 * own beside it) after the first load, after each reload and at the end, and the ratio end ÷ first.
 * "first" and "end" are read once the server has run under load for --steady-ms since the first load and since
 * the last reload: a load leaves the model's bytes, built in each worker's JavaScript heap, as garbage that V8's
 * memory reducer collects some seconds later (measured: 446 MB 2 s after the first load, 322 MB 20 s after), so
 * both readings are taken at the same age. The readings after each reload (--settle-ms) still hold that garbage.
 * Goal: end within 10% of first with the shipped defaults.
 *   node --import tsx scripts/bench-reload.ts [--models .cache/models] [--model mlm-large] [--reloads 30]
 *     [--clients 2] [--settle-ms 1000] [--steady-ms 15000] [--env KEY=VALUE ...] [--arg SERVE_FLAG ...]
 * `--env` sets a variable for the server (e.g. `--env TLC_MALLOC_TUNING=off`, `--env MALLOC_ARENA_MAX=2`,
 * `--env GLIBC_TUNABLES=glibc.malloc.trim_threshold=0`); `--arg` passes a flag on to `tlc serve` (`--arg=--threads=1`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { servingEnvironment } from '../src/cli/malloc-tuning.js';
import { processTree, servingPid, stopChild } from './lib/server-child.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: '.cache/models' },
    model: { type: 'string', default: 'mlm-large' },
    reloads: { type: 'string', default: '30' },
    clients: { type: 'string', default: '2' },
    'settle-ms': { type: 'string', default: '1000' },
    'steady-ms': { type: 'string', default: '15000' },
    env: { type: 'string', multiple: true, default: [] },
    arg: { type: 'string', multiple: true, default: [] },
  },
});
const name = flags.model!;
const modelDir = resolve(flags.models!, name);
const CLI = resolve('dist', 'cli', 'tlc.js');
if (!existsSync(join(modelDir, 'tlc.json'))) {
  process.stderr.write(
    `${modelDir}: no model folder; run \`npm run models:build\` (or pass --models, --model)\n`,
  );
  process.exit(1);
}
if (!existsSync(CLI)) {
  process.stderr.write(`${CLI} is missing; run \`npm run build\`\n`);
  process.exit(1);
}
const reloads = Number(flags.reloads);
const settleMs = Number(flags['settle-ms']);
const steadyMs = Number(flags['steady-ms']);
const extraEnv = Object.fromEntries(
  flags.env!.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env ${pair}: expected KEY=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
// Admin routes (the reload) need an API key: the caller's, or one made up for this run.
const serverEnv: NodeJS.ProcessEnv = { TLC_API_KEY: randomUUID(), ...process.env, ...extraEnv };
const auth = { authorization: `Bearer ${serverEnv.TLC_API_KEY}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A /proc/<pid>/status field in kB (VmRSS, VmHWM) or as a count (Threads). */
function statusField(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

/**
 * The environment variables that decide malloc's behaviour where the sessions are: in the relaunched server
 * (`--isolation thread`), or in the session worker processes, which `tlc serve` gives the serving settings. (Not /proc/<pid>/environ: glibc before 2.39 cuts GLIBC_TUNABLES there at
 * the first ':' as it parses it.)
 */
function mallocSettings(): string {
  const env = servingEnvironment(serverEnv, process.platform) ?? serverEnv;
  const relevant = Object.entries(env)
    .filter(([k]) => /^(GLIBC_TUNABLES|MALLOC_[A-Z_]+|TLC_MALLOC_TUNING)$/.test(k))
    .map(([k, v]) => `${k}=${v}`);
  return relevant.length === 0 ? '(glibc defaults)' : relevant.join(' ');
}

interface Processes {
  /** The process that serves (and holds the sessions). */
  readonly server: number;
  /** The launcher the shell knows, when `tlc serve` relaunched itself. */
  readonly launcher?: number;
}

/** Starts `tlc serve` on `repo`; resolves with its URL and the process that serves. */
async function startServe(repo: string): Promise<{ child: ChildProcess; url: string; pids: Processes }> {
  const args = [CLI, 'serve', '--models', repo, '--port', '0', '--host', '127.0.0.1', ...flags.arg!];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: serverEnv });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const match = / at (http:\/\/\S+) /.exec(log);
      if (match !== null) resolveUrl(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`tlc serve exited (${code}): ${log}`)));
  });
  return { child, url, pids: servingPid(child.pid!) };
}

interface Load {
  readonly counts: Map<number, number>;
  readonly stop: () => Promise<void>;
}

/** `clients` sequential fill-mask loops, each request on the next of `variants`, until stopped. */
function startLoad(url: string, variants: readonly string[], clients: number): Load {
  const counts = new Map<number, number>();
  let running = true;
  const body = JSON.stringify({ inputs: 'The people of the United States have the <mask> to vote.' });
  const loop = async (offset: number) => {
    for (let k = offset; running; k++) {
      const variant = variants[k % variants.length]!;
      let status = 0;
      try {
        const res = await fetch(`${url}/v1/models/${name}/fill-mask?variant=${encodeURIComponent(variant)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body,
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {}
      counts.set(status, (counts.get(status) ?? 0) + 1);
      if (status !== 200) await sleep(20); // 503 while a variant closes: do not spin
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  return {
    counts,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function loadedVariants(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/models`, { headers: auth });
  const { models } = (await res.json()) as {
    models: { name: string; variants: { name: string; loaded: boolean }[] }[];
  };
  const model = models.find((m) => m.name === name);
  const loaded = model?.variants.filter((v) => v.loaded).map((v) => v.name) ?? [];
  if (loaded.length === 0) throw new Error(`${name}: no variant loaded (${JSON.stringify(model)})`);
  return loaded;
}

async function reload(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v2/repository/models/${name}/load`, { method: 'POST', headers: auth });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`reload answered ${res.status}: ${text}`);
  return (performance.now() - t0) / 1000;
}

/**
 * The resident set of `pid` by kind of mapping (/proc/<pid>/smaps), to tell where memory stays: `brk` is glibc's
 * main heap (small blocks; it only shrinks from the top, so holes left by freed blocks stay resident), `v8` the
 * anonymous 256 KiB mappings V8 makes its heap pages of (every isolate: the main thread and each worker), `anon`
 * the other anonymous mappings (malloc's mapped blocks and thread arenas, ONNX Runtime's arena chunks, stacks),
 * `file` mapped files (node, ONNX Runtime's library, the other shared libraries).
 */
function breakdown(pid: number): string {
  const kb = { brk: 0, v8: 0, anon: 0, file: 0 };
  let kind: keyof typeof kb = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const map = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (map !== null) {
      const size = (Number.parseInt(map[2]!, 16) - Number.parseInt(map[1]!, 16)) / 1024;
      const path = map[3]!.trim();
      kind =
        path === '[heap]'
          ? 'brk'
          : path.startsWith('/')
            ? 'file'
            : path === '' && size === 256
              ? 'v8'
              : 'anon';
    } else if (line.startsWith('Rss:')) kb[kind] += Number(line.split(/\s+/)[1]);
  }
  return Object.entries(kb)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`)
    .join(', ');
}

/** Each process of the tree's resident set by kind (breakdown), one line each. */
function breakdowns(server: number): string {
  return processTree(server)
    .map((pid) => `    ${pid === server ? 'server' : `worker ${pid}`}: RSS MB ${breakdown(pid)}`)
    .join('\n');
}

const mb = (kb: number) => (kb / 1024).toFixed(0).padStart(6);

/** A field of /proc/<pid>/smaps_rollup in kB (Pss: the process's share of each page it maps). */
function rollupField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(
    readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'),
  );
  return match === null ? Number.NaN : Number(match[1]);
}

interface Memory {
  /** Σ VmRSS over the server's process tree (counts pages the processes share once per process). */
  readonly rss: number;
  /** Σ Pss over the tree: each shared page divided among its sharers — what the tree holds, counted once. */
  readonly pss: number;
}

function reading(label: string, pids: Processes, extra = ''): Memory {
  const all = processTree(pids.server);
  const sum = (f: (pid: number) => number) => all.reduce((total, pid) => total + f(pid), 0);
  const memory = { rss: sum((p) => statusField(p, 'VmRSS')), pss: sum((p) => rollupField(p, 'Pss')) };
  const threads = sum((p) => statusField(p, 'Threads'));
  const each =
    all.length > 1 ? `  PSS each ${all.map((p) => mb(rollupField(p, 'Pss')).trim()).join(' ')}` : '';
  process.stdout.write(
    `${label.padEnd(12)} RSS ${mb(memory.rss)} MB  PSS ${mb(memory.pss)} MB  processes ${all.length}  ` +
      `threads ${String(threads).padStart(3)}${each}${extra}\n`,
  );
  return memory;
}

const larger = (a: Memory, b: Memory): Memory => ({
  rss: Math.max(a.rss, b.rss),
  pss: Math.max(a.pss, b.pss),
});

async function main(): Promise<void> {
  const repo = mkdtempSync(join(tmpdir(), 'tlc-bench-reload-'));
  symlinkSync(modelDir, join(repo, name));
  const { child, url, pids } = await startServe(repo);
  try {
    process.stdout.write(
      `tlc serve ${url}: ${name}, ${reloads} reloads, ${flags.clients} clients; server pid ${pids.server}` +
        (pids.launcher === undefined ? ' (not relaunched)' : ` (launcher ${pids.launcher})`) +
        `\nmalloc where the sessions are: ${mallocSettings()}\n`,
    );
    const variants = await loadedVariants(url);
    const load = startLoad(url, variants, Number(flags.clients));
    await sleep(settleMs);
    let peak = reading('loaded', pids, `  variants ${variants.join(', ')}`);
    await sleep(steadyMs);
    const first = reading(
      'first load',
      pids,
      `  (${((settleMs + steadyMs) / 1000).toFixed(0)} s after it)\n${breakdowns(pids.server)}`,
    );
    peak = larger(peak, first);
    for (let i = 1; i <= reloads; i++) {
      const seconds = await reload(url);
      await sleep(settleMs);
      peak = larger(peak, reading(`reload ${i}`, pids, `  (${seconds.toFixed(2)} s)`));
    }
    await sleep(steadyMs - settleMs);
    const end = reading(
      'end',
      pids,
      `  (${(steadyMs / 1000).toFixed(0)} s after the last reload)\n${breakdowns(pids.server)}`,
    );
    peak = larger(peak, end);
    await load.stop();
    const statuses = [...load.counts].map(([s, n]) => `${s === 0 ? 'error' : s} ×${n}`).join(', ');
    process.stdout.write(
      `RSS first ${mb(first.rss).trim()} MB, end ${mb(end.rss).trim()} MB, peak ${mb(peak.rss).trim()} MB; ` +
        `end ÷ first = ${(end.rss / first.rss).toFixed(3)}\n` +
        `PSS first ${mb(first.pss).trim()} MB, end ${mb(end.pss).trim()} MB, peak ${mb(peak.pss).trim()} MB; ` +
        `end ÷ first = ${(end.pss / first.pss).toFixed(3)}` +
        (pids.launcher === undefined
          ? ''
          : `; launcher ${mb(statusField(pids.launcher, 'VmRSS')).trim()} MB`) +
        `\nrequests: ${statuses}\n`,
    );
  } finally {
    await stopChild(child);
    rmSync(repo, { recursive: true, force: true });
  }
}

await main();
