/**
 * bench:server — the HTTP path under load, loopback only, bounded in time. Starts `tlc serve` as a child
 * process on a fill-mask model (default: the built-in model mlm-large; `npm run models:build` makes it) with
 * batching on and then off, and drives POST /fill-mask with autocannon at concurrency 1, 8, 32 and 128,
 * while a prober checks that /v2/health/live stays responsive. Also measures the in-process runner (the same
 * registry, workers and batcher, no HTTP) at concurrency 1 for the HTTP overhead.
 * Also compares the two ways session workers run (`--isolation thread | process`) on the in-process runner.
 * Goals: HTTP at concurrency 1 within 15% of in-process; batched throughput at concurrency 32 ≥ 3× unbatched;
 * health answers within 50 ms throughout.
 *   node --import tsx scripts/bench-server.ts [--model DIR] [--variant NAME] [--seconds 5] [--threads 2] [--quick]
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ModelRegistry } from '../src/runtime/registry.js';
import type { Isolation } from '../src/runtime/worker/channel.js';
import { DEFAULT_LIMITS, type ServerContext } from '../src/server/context.js';
import { ServerMetrics } from '../src/server/metrics.js';
import { RawAdmission } from '../src/server/raw-admission.js';
import { requestIo } from '../src/server/request-io.js';
import { probeHealth, startTlcServe, stopChild } from './lib/server-child.js';

const { values: flags } = parseArgs({
  options: {
    model: { type: 'string', default: '.cache/models/mlm-large' },
    seconds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    variant: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const modelDir = resolve(flags.model!);
if (!existsSync(join(modelDir, 'tlc.json'))) {
  process.stderr.write(`${modelDir}: no model folder; run \`npm run models:build\` (or pass --model DIR)\n`);
  process.exit(1);
}
const seconds = flags.quick ? 2 : Number(flags.seconds);
const threads = Number(flags.threads);
const name = basename(modelDir);
const repo = mkdtempSync(join(tmpdir(), 'tlc-bench-server-'));
symlinkSync(modelDir, join(repo, name));
const variantName = flags.variant;
const query = variantName === undefined ? '' : `?variant=${encodeURIComponent(variantName)}`;
const TEXT = 'The people of the United States have the <mask> to vote.';
const body = JSON.stringify({ inputs: TEXT, parameters: { top_k: 5 } });

function startServer(port: number, maxBatch: number): Promise<ChildProcess> {
  return startTlcServe(repo, port, [
    '--threads',
    String(threads),
    '--max-batch',
    String(maxBatch),
    '--max-queue',
    '1024',
  ]);
}

interface Runner {
  readonly once: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Sequential requests over one keep-alive connection. */
function httpRunner(url: string): Runner {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/v1/models/${name}/fill-mask${query}`);
  const once = () =>
    new Promise<void>((done, fail) => {
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => done());
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  return { once, close: async () => agent.destroy() };
}

/**
 * p50s in ms of two runners measured in alternating blocks of 25 sequential requests over the same time window
 * (sub-millisecond resolution), so that both see the same machine: this machine's speed drifts by tens of
 * percent between minutes, more than the overhead being measured.
 */
async function interleavedP50(a: Runner, b: Runner): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  const until = performance.now() + 2 * seconds * 1000;
  for (const r of [a, b]) for (let i = 0; i < 10; i++) await r.once(); // warm-up
  while (performance.now() < until) {
    for (const [k, r] of [a, b].entries()) {
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        await r.once();
        times[k]!.push(performance.now() - t0);
      }
    }
  }
  return [median(times[0]), median(times[1])];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Row {
  batching: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  health: number;
}

async function load(url: string, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/models/${name}/fill-mask${query}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
}

/** The same registry, workers, batcher and task code as the server, called directly (no HTTP). */
async function inProcessRunner(isolation: Isolation = 'process'): Promise<Runner> {
  const metrics = new ServerMetrics({ processMetrics: false });
  const registry = new ModelRegistry(repo, {
    device: 'cpu',
    threads,
    workersPerVariant: 1,
    workerPool: { isolation },
    batching: { maxBatchSize: 1, maxDelayMs: 0, maxQueue: 1024, timeoutMs: 30_000, concurrency: 1 },
  });
  await registry.load(name);
  const context: ServerContext = {
    registry,
    rawAdmission: new RawAdmission(1024),
    metrics,
    limits: DEFAULT_LIMITS,
    device: 'cpu',
    draining: false,
    inFlight: 0,
    unread: new Set(),
  };
  const model = registry.get(name);
  const variant = model.variant(variantName);
  return {
    once: async () => {
      await variant.runner.v1(
        { inputs: TEXT, parameters: { top_k: 5 } },
        [TEXT],
        requestIo(context, model, variant),
      );
    },
    close: () => registry.close(),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  let httpP50 = Number.NaN;
  let inProcP50 = Number.NaN;
  let threadP50 = Number.NaN;
  let processP50 = Number.NaN;
  let port = 18000 + Math.floor(Math.random() * 1000);
  for (const [label, maxBatch] of [
    ['on', 32],
    ['off', 1],
  ] as const) {
    const child = await startServer(++port, maxBatch);
    const url = `http://127.0.0.1:${port}`;
    try {
      await load(url, 1); // warm-up
      if (label === 'off') {
        const direct = await inProcessRunner();
        const viaHttp = httpRunner(url);
        [httpP50, inProcP50] = await interleavedP50(viaHttp, direct);
        await viaHttp.close();
        await direct.close();
        const [inThread, inProcess] = [await inProcessRunner('thread'), await inProcessRunner('process')];
        [threadP50, processP50] = await interleavedP50(inThread, inProcess);
        await inThread.close();
        await inProcess.close();
      }
      for (const c of [1, 8, 32, 128]) {
        const probe = probeHealth(url);
        const r = await load(url, c);
        const health = Math.max(...(await probe.stop()));
        rows.push({
          batching: label,
          concurrency: c,
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.non2xx,
          health,
        });
      }
    } finally {
      await stopChild(child);
    }
  }
  rmSync(repo, { recursive: true, force: true });
  console.log(
    `\nbench:server — ${name} (${variantName ?? 'default variant'}), fill-mask top-5, ${threads} intra-op threads, ${seconds} s per point, loopback`,
  );
  console.log(
    `  ${'batching'.padEnd(9)}${'conc.'.padStart(6)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'health max ms'.padStart(15)}`,
  );
  for (const r of rows)
    console.log(
      `  ${r.batching.padEnd(9)}${String(r.concurrency).padStart(6)}${r.rps.toFixed(0).padStart(9)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.errors).padStart(8)}${r.health.toFixed(1).padStart(15)}`,
    );
  const at = (b: string, c: number) => rows.find((r) => r.batching === b && r.concurrency === c)!;
  const overhead = httpP50 / inProcP50 - 1;
  const speedup = at('on', 32).rps / at('off', 32).rps;
  const health = Math.max(...rows.map((r) => r.health));
  console.log(
    `  concurrency 1, sequential, interleaved blocks: HTTP p50 ${httpP50.toFixed(2)} ms, in-process runner p50 ${inProcP50.toFixed(2)} ms`,
  );
  console.log(
    `  session workers (in-process runner, interleaved): thread p50 ${threadP50.toFixed(2)} ms, process p50 ` +
      `${processP50.toFixed(2)} ms (${(processP50 / threadP50).toFixed(3)}× — the IPC copy of a child process)`,
  );
  console.log(
    `  goals: HTTP overhead at concurrency 1 ≤ 15% → ${overhead <= 0.15 ? 'MET' : 'NOT MET'} (${(overhead * 100).toFixed(1)}%); ` +
      `batched throughput at 32 ≥ 3× unbatched → ${speedup >= 3 ? 'MET' : 'NOT MET'} (${speedup.toFixed(2)}×); ` +
      `health ≤ 50 ms → ${health <= 50 ? 'MET' : 'NOT MET'} (${health.toFixed(1)} ms)`,
  );
}

await main();
