/**
 * Reload and unload under load (issue: a reload while KServe v2 raw-tensor requests ran aborted the process with
 * `terminate called after throwing an instance of 'Napi::Error'`). The server runs in a child process, so that a
 * native abort shows up as a failed assertion with its stderr rather than as a dead test runner. Two clients send
 * raw-tensor v2 requests and two send fill-mask texts while the model is reloaded and unloaded 20 times: the
 * process stays up, every request is answered 200, 503 (with the error shape) or 429, and none is reset.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-reload-raw-'));
const models = join(dir, 'models');
const KEY = 'k';
const ROUNDS = 20;
/** Bounds the run (about 30 s on 2 cores): rounds stop at this time even if fewer than ROUNDS were done. */
const BUDGET_MS = 50_000;

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  stderr: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Starts `startServer` in a child Node process; resolves with its URL once it listens and has loaded. */
function startChild(): Promise<Child> {
  const server = new URL('../../src/server/server.ts', import.meta.url).href;
  const options = { modelsDir: models, port: 0, host: '127.0.0.1', apiKey: KEY, processMetrics: false };
  const code = [
    `const { startServer } = await import(${JSON.stringify(server)});`,
    `const s = await startServer({ ...${JSON.stringify(options)}, log: () => {} });`,
    "process.stdout.write(JSON.stringify({ url: s.url }) + '\\n');",
    "process.on('SIGTERM', () => s.close().then(() => process.exit(0)));",
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d) => {
      stderr += String(d);
    });
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}): ${stderr}`)));
    child.stdout!.on('data', (d) => {
      stdout += String(d);
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n') || line === undefined) return;
      const started: Child = { process: child, url: (JSON.parse(line) as { url: string }).url, stderr };
      child.stderr!.on('data', (more) => {
        started.stderr += String(more);
      });
      child.removeAllListeners('exit');
      child.on('exit', (c, s) => {
        started.exit = { code: c, signal: s };
      });
      resolve(started);
    });
  });
}

interface Outcome {
  readonly kind: 'raw' | 'text' | 'admin';
  readonly status: number;
  readonly body: string;
}

async function post(url: string, body: unknown, kind: Outcome['kind']): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { kind, status: res.status, body: await res.text() };
  } catch (error) {
    // A reset, refused or timed-out connection: status 0 with the cause.
    return { kind, status: 0, body: String((error as Error).cause ?? error) };
  }
}

/** A raw-tensor request as the issue sent it: input_ids and attention_mask [16, 128], plus the served graph's extras. */
function rawBody(): unknown {
  const rows = 16;
  const length = 128;
  const ids = Array.from({ length: rows * length }, (_, i) => (i % length === 0 ? 2 : 5 + (i % 90)));
  return {
    inputs: [
      { name: 'input_ids', shape: [rows, length], datatype: 'INT64', data: ids },
      {
        name: 'attention_mask',
        shape: [rows, length],
        datatype: 'INT64',
        data: Array(rows * length).fill(1),
      },
      {
        name: 'mask_rows',
        shape: [rows],
        datatype: 'INT64',
        data: Array.from({ length: rows }, (_, r) => r * length + 7),
      },
      { name: 'top_k', shape: [1], datatype: 'INT64', data: [5] },
    ],
  };
}

const TEXT = `${'the of and to in a is that '.repeat(12)}[MASK] end`;

before(() => {
  mkdirSync(join(models, 'bert'), { recursive: true });
  writeForeignFolder(join(models, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('reload and unload under raw-tensor and text load', () => {
  let child: Child | undefined;
  after(() => {
    if (child !== undefined && child.exit === undefined) child.process.kill('SIGKILL');
  });

  it(`keeps the process up through ${ROUNDS} reloads and unloads; every request is answered 200, 503 or 429`, async () => {
    child = await startChild();
    const c = child;
    const outcomes: Outcome[] = [];
    let stop = false;
    const client = async (kind: 'raw' | 'text') => {
      const url = `${c.url}/v2/models/bert/infer`;
      const body =
        kind === 'raw'
          ? rawBody()
          : { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [TEXT] }] };
      while (!stop && c.exit === undefined) {
        const o = await post(url, body, kind);
        outcomes.push(o);
        if (o.status === 0) break;
        if (o.status !== 200) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const clients = [client('raw'), client('raw'), client('text'), client('text')];
    const admin = (op: 'load' | 'unload') => post(`${c.url}/v2/repository/models/bert/${op}`, {}, 'admin');
    const t0 = performance.now();
    let rounds = 0;
    const pause = () => new Promise((r) => setTimeout(r, 30));
    while (rounds < ROUNDS && performance.now() - t0 < BUDGET_MS && c.exit === undefined) {
      // Even rounds reload (the old variants close while requests run on them); odd ones unload, then load.
      for (const op of rounds % 2 === 0 ? (['load'] as const) : (['unload', 'load'] as const)) {
        await pause();
        outcomes.push(await admin(op));
      }
      rounds += 1;
    }
    await pause();
    stop = true;
    await Promise.all(clients);
    assert.equal(
      c.exit,
      undefined,
      `the server process died: ${JSON.stringify(c.exit)}\n${c.stderr.slice(-2000)}`,
    );
    assert.ok(rounds >= ROUNDS / 2, `only ${rounds} rounds in ${BUDGET_MS} ms`);

    const admins = outcomes.filter((o) => o.kind === 'admin');
    assert.deepEqual(
      admins.filter((o) => o.status !== 200),
      [],
      'every load and unload succeeds',
    );
    const requests = outcomes.filter((o) => o.kind !== 'admin');
    const bad = requests.filter((o) => ![200, 503, 429].includes(o.status));
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${requests.length} requests answered otherwise`);
    for (const o of requests.filter((x) => x.status === 503 || x.status === 429)) {
      const error = (JSON.parse(o.body) as { error?: { code?: unknown; message?: unknown } }).error;
      assert.equal(typeof error?.code, 'string', o.body);
      assert.equal(typeof error?.message, 'string', o.body);
    }
    for (const kind of ['raw', 'text'] as const)
      assert.ok(
        requests.some((o) => o.kind === kind && o.status === 200),
        `some ${kind} requests were served`,
      );

    // And it still shuts down cleanly.
    c.process.kill('SIGTERM');
    for (let i = 0; i < 300 && c.exit === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(c.exit, { code: 0, signal: null }, c.stderr.slice(-2000));
  });
});
