/**
 * bench:abuse — one client can never hurt another. Starts `tlc serve` (the built CLI) on a fill-mask and a
 * translation model and, for `--seconds` (default 20), runs 12 well-behaved clients (half fill-mask, half
 * translate, each sending its next request when the last is answered) beside 2 hostile ones that cycle through
 * the bad requests of the hardening issue: v2 parameters out of range or of the wrong type, answers over the
 * size cap, raw tensors too large or naming tokens, positions and rows that do not exist, malformed URLs, JSON
 * nested 400,000 deep, and a flood of large valid raw requests. A prober polls /v2/health/live every 20 ms
 * from its own thread; the RSS of the server and its session worker processes is sampled from /proc.
 * Goals (exit status 1 when one is missed): 0 failures among the valid requests; every bad request answered
 * 4xx (429 and 504 included) with the error shape; liveness p99 under 100 ms; RSS 5 s after the run within
 * 10% of its value after warm-up.
 *   npm run build && node --import tsx scripts/bench-abuse.ts [--models .cache/models] [--fill-mask mlm-large]
 *     [--translate enfr-large] [--seconds 20] [--threads 2] [--workers 1] [--hostile 2] [--bad REGEX (only the
 *     bad requests whose name matches)]
 *
 * With `--heavy N` it measures fairness instead: `--light` light clients (default 12: half fill-mask, half
 * translate) run alone for `--seconds`, then beside N clients sending heavy but legal requests (raw v2
 * [64, 128] tensors; 64 inputs × 50 masks; beam 8 over 512 tokens, scripts/lib/heavy-load.ts), every client from
 * its own loopback address. Goals: 0 light failures, each light kind's p95 beside the heavy clients within 3×
 * of its p95 alone, liveness p99 under 100 ms beside them. The server then runs 2 workers of 1 thread per variant
 * (`--workers 2 --threads 1`, the same four threads): with one worker, a light request waits out any long run.
 *   node --import tsx scripts/bench-abuse.ts --heavy 3 --light 12 --seconds 30
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuFacts } from '../src/util/cpu.js';
import { percentile } from '../src/util/percentile.js';
import { type BadRequest, badRequests } from './lib/bad-requests.js';
import { heavyRequests, type LightKind, lightP95, type PhaseResult, runPhase } from './lib/heavy-load.js';
import { probeHealth, servingPid, startTlcServe, stopChild, treeRssMiB } from './lib/server-child.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: '.cache/models' },
    'fill-mask': { type: 'string', default: 'mlm-large' },
    translate: { type: 'string', default: 'enfr-large' },
    seconds: { type: 'string', default: '20' },
    threads: { type: 'string' },
    workers: { type: 'string' },
    isolation: { type: 'string', default: 'process' },
    hostile: { type: 'string', default: '2' },
    bad: { type: 'string' },
    heavy: { type: 'string', default: '0' },
    light: { type: 'string', default: '12' },
  },
});
const fillMask = flags['fill-mask']!;
const translate = flags.translate!;
const seconds = Number(flags.seconds);
const heavyClients = Number(flags.heavy);
// Four session threads on two cores either way: one worker of 2 threads per variant, or (--heavy) two of one,
// so that a long run (a raw [64, 128] tensor, a beam-8 translation: seconds, and no batcher can cut one short)
// leaves the variant a worker for light requests.
const threads = flags.threads ?? (heavyClients > 0 ? '1' : '2');
const workers = flags.workers ?? (heavyClients > 0 ? '2' : '1');

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function send(url: string, r: Pick<BadRequest, 'method' | 'path' | 'body'>): Promise<Answer> {
  try {
    const res = await fetch(`${url}${r.path}`, {
      method: r.method,
      ...(r.body !== undefined && { headers: { 'content-type': 'application/json' }, body: r.body }),
    });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: String((error as Error).cause ?? error) };
  }
}

function hasErrorShape(body: string): boolean {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    return typeof e?.code === 'string' && typeof e.message === 'string';
  } catch {
    return false;
  }
}

const VALID = {
  fill: (i: number) => ({
    method: 'POST' as const,
    path: `/v1/models/${fillMask}/fill-mask`,
    body: JSON.stringify({
      inputs: `The people have the <mask> to vote number ${i}.`,
      parameters: { top_k: 5 },
    }),
  }),
  translate: (i: number) => ({
    method: 'POST' as const,
    path: `/v1/models/${translate}/translate`,
    body: JSON.stringify({ inputs: `Allah is Knowing and Wise, verse ${i}.` }),
  }),
};

interface Tally {
  valid: number;
  validFailures: Answer[];
  bad: Map<string, Map<number, number>>;
  badWrong: { name: string; answer: Answer }[];
}

async function drive(url: string, deadline: number, tally: Tally): Promise<void> {
  const only = flags.bad === undefined ? undefined : new RegExp(flags.bad);
  const catalog = badRequests({ fillMask, translate }).filter((r) => only?.test(r.name) ?? true);
  const hostiles = catalog.length === 0 ? 0 : Number(flags.hostile);
  const validClient = async (kind: keyof typeof VALID, id: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const a = await send(url, VALID[kind](id * 1000 + i));
      tally.valid += 1;
      if (a.status !== 200) tally.validFailures.push(a);
    }
  };
  const hostile = async (offset: number) => {
    for (let i = offset; performance.now() < deadline; i++) {
      const r = catalog[i % catalog.length]!;
      const a = await send(url, r);
      const byStatus = tally.bad.get(r.name) ?? new Map<number, number>();
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      tally.bad.set(r.name, byStatus);
      const ok = r.accept(a.status) && (a.status === 200 || hasErrorShape(a.body));
      if (!ok) tally.badWrong.push({ name: r.name, answer: a });
    }
  };
  await Promise.all([
    ...Array.from({ length: 6 }, (_, k) => validClient('fill', k)),
    ...Array.from({ length: 6 }, (_, k) => validClient('translate', k)),
    ...Array.from({ length: hostiles }, (_, k) => hostile(Math.floor((k * catalog.length) / hostiles))),
  ]);
}

async function main(): Promise<void> {
  const repo = mkdtempSync(join(tmpdir(), 'tlc-abuse-'));
  for (const name of [fillMask, translate]) symlinkSync(resolve(flags.models!, name), join(repo, name));
  const port = 19000 + Math.floor(Math.random() * 1000);
  const url = `http://127.0.0.1:${port}`;
  const serveFlags = ['--threads', threads, '--workers', workers, '--isolation', flags.isolation!];
  const child = await startTlcServe(repo, port, serveFlags);
  try {
    for (let i = 0; i < 4; i++) await Promise.all([send(url, VALID.fill(i)), send(url, VALID.translate(i))]);
    if (heavyClients > 0) {
      await fairness(url);
      return;
    }
    const { server } = servingPid(child.pid!);
    const rssStart = treeRssMiB(server);
    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, treeRssMiB(server));
    }, 250);
    const probe = probeHealth(url, 20);
    const tally: Tally = { valid: 0, validFailures: [], bad: new Map(), badWrong: [] };
    await drive(url, performance.now() + seconds * 1000, tally);
    const live = (await probe.stop()).sort((a, b) => a - b);
    await new Promise((r) => setTimeout(r, 5000));
    clearInterval(sampler);
    const rssEnd = treeRssMiB(server);
    report(tally, live, { start: rssStart, peak: rssPeak, end: rssEnd });
  } finally {
    await stopChild(child);
    rmSync(repo, { recursive: true, force: true });
  }
}

const LIGHT: readonly LightKind[] = [
  { name: 'fill-mask', request: (id, i) => VALID.fill(id * 1000 + i) },
  { name: 'translate', request: (id, i) => VALID.translate(id * 1000 + i) },
];

/** --heavy: the light clients alone, then beside the heavy ones; liveness probed throughout. */
async function fairness(url: string): Promise<void> {
  const heavy = heavyRequests({ fillMask, translate });
  for (const r of heavy) {
    const a = await send(url, r);
    if (a.status !== 200)
      throw new Error(`${r.name}: ${a.status} ${a.body.slice(0, 200)} (it must be legal)`);
  }
  const phase = async (heavyClients: number) => {
    const probe = probeHealth(url, 20);
    const deadline = performance.now() + seconds * 1000;
    const light = Number(flags.light);
    const result = await runPhase(url, {
      kinds: LIGHT,
      light,
      heavy: heavyClients,
      heavyRequests: heavy,
      deadline,
    });
    return { result, live: (await probe.stop()).sort((a, b) => a - b) };
  };
  const alone = await phase(0);
  const beside = await phase(heavyClients);
  reportFairness(alone, beside);
}

function reportFairness(
  alone: { result: PhaseResult; live: number[] },
  beside: { result: PhaseResult; live: number[] },
): void {
  const cores = availableParallelism();
  console.log(
    `\nbench:abuse --heavy — ${fillMask} + ${translate} on ${cpuFacts().model} (${cores} cores), --threads ${threads} --workers ${workers}; ${flags.light} light clients alone, then beside ${heavyClients} heavy ones, ${seconds} s each`,
  );
  const p95Alone = lightP95(alone.result);
  const p95Beside = lightP95(beside.result);
  const ratios: [string, number][] = [];
  for (const [kind, a] of p95Alone) {
    const b = p95Beside.get(kind) ?? Number.NaN;
    const n = (r: PhaseResult) =>
      kind === 'all light'
        ? [...r.light.values()].reduce((s, t) => s + t.length, 0)
        : (r.light.get(kind)?.length ?? 0);
    console.log(
      `  light ${kind.padEnd(9)}: p95 ${a.toFixed(0)} ms alone (${n(alone.result)} answers), ${b.toFixed(0)} ms beside heavy (${n(beside.result)}): ${(b / a).toFixed(2)}×`,
    );
    if (kind !== 'all light') ratios.push([kind, b / a]);
  }
  const failures = [...alone.result.lightFailures, ...beside.result.lightFailures];
  console.log(
    `  light failures: ${alone.result.lightFailures.length} alone, ${beside.result.lightFailures.length} beside heavy`,
  );
  for (const f of failures.slice(0, 3)) console.log(`    ${f.kind}: ${f.status} ${f.body}`);
  for (const [name, byStatus] of beside.result.heavy)
    console.log(`  heavy ${name.padEnd(24)} ${[...byStatus].map(([s, k]) => `${s}×${k}`).join(' ')}`);
  const p = (live: number[], q: number) => percentile(live, q).toFixed(1);
  for (const [what, live] of [
    ['alone', alone.live],
    ['beside heavy', beside.live],
  ] as const)
    console.log(
      `  /v2/health/live ${what}: ${live.length} probes, p50 ${p(live, 50)} ms, p99 ${p(live, 99)} ms, max ${live.at(-1)!.toFixed(1)} ms`,
    );
  const goals: [string, boolean][] = [
    ['0 light failures', failures.length === 0],
    ...ratios.map(([kind, r]): [string, boolean] => [`light ${kind} p95 within 3× of alone`, r <= 3]),
    ['liveness p99 < 100 ms beside heavy', percentile(beside.live, 99) < 100],
  ];
  for (const [goal, met] of goals) console.log(`  ${met ? 'met    ' : 'MISSED '} ${goal}`);
  if (goals.some(([, met]) => !met)) process.exitCode = 1;
}

function report(tally: Tally, live: number[], rss: { start: number; peak: number; end: number }): void {
  const badTotal = [...tally.bad.values()].reduce(
    (s, m) => s + [...m.values()].reduce((a, b) => a + b, 0),
    0,
  );
  console.log(
    `\nbench:abuse — ${fillMask} + ${translate}, 12 valid clients and ${flags.hostile} hostile ones for ${seconds} s`,
  );
  console.log(`  valid requests: ${tally.valid}, failures: ${tally.validFailures.length}`);
  for (const f of tally.validFailures.slice(0, 3)) console.log(`    ${f.status} ${f.body.slice(0, 160)}`);
  console.log(`  bad requests: ${badTotal}, answered wrongly: ${tally.badWrong.length}`);
  for (const [name, byStatus] of tally.bad)
    console.log(`    ${name.padEnd(34)} ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  for (const w of tally.badWrong.slice(0, 3))
    console.log(`    wrong: ${w.name}: ${w.answer.status} ${w.answer.body.slice(0, 160)}`);
  const p = (q: number) => percentile(live, q);
  console.log(
    `  /v2/health/live: ${live.length} probes, p50 ${p(50).toFixed(1)} ms, p99 ${p(99).toFixed(1)} ms, max ${live[live.length - 1]!.toFixed(1)} ms`,
  );
  // Memory handed back below the start is fine; what must not happen is growth that stays.
  const drift = rss.end / rss.start - 1;
  console.log(
    `  RSS: ${rss.start.toFixed(0)} MiB after warm-up, peak ${rss.peak.toFixed(0)}, ${rss.end.toFixed(0)} 5 s after the run (${(100 * drift).toFixed(1)}%)`,
  );
  const goals: [string, boolean][] = [
    ['0 failures among valid requests', tally.validFailures.length === 0],
    ['every bad request 4xx/429/504 with the error shape', tally.badWrong.length === 0],
    ['liveness p99 < 100 ms', p(99) < 100],
    ['RSS back within 10% of its start (or below)', drift <= 0.1],
  ];
  for (const [goal, met] of goals) console.log(`  ${met ? 'met    ' : 'MISSED '} ${goal}`);
  if (goals.some(([, met]) => !met)) process.exitCode = 1;
}

await main();
