/**
 * Admission by work over HTTP: a KServe v2 raw-tensor request goes through its variant's batcher and holds
 * rows × length of its client's budget and the variant's, the same budgets fill-mask texts hold (tokens), so
 * over either a request is answered 429 QUEUE_FULL with Retry-After, whichever path filled it. Clients are told
 * apart by API key (a digest) or address. The batcher waits `maxDelayMs` (1 s) for company, so what is admitted
 * stays queued while the next request arrives: the order is fixed by waiting for the server to hold it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { clientOf } from '../../src/server/context.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-fair-'));
let server: RunningServer;

/** [16, 128] of the served fill-mask graph: 2048 positions of work. */
function rawBody(): unknown {
  const rows = 16;
  const length = 128;
  const ids = Array.from({ length: rows * length }, (_, i) => (i % length === 0 ? 2 : 5 + (i % 90)));
  const int64 = (name: string, shape: number[], data: number[]) => ({ name, shape, datatype: 'INT64', data });
  return {
    inputs: [
      int64('input_ids', [rows, length], ids),
      int64('attention_mask', [rows, length], Array(rows * length).fill(1)),
      int64(
        'mask_rows',
        [rows],
        Array.from({ length: rows }, (_, r) => r * length + 7),
      ),
      int64('top_k', [1], [5]),
    ],
  };
}

/** 16 texts of about 100 tokens each: about 1600 positions of work. */
const TEXTS = { inputs: Array(16).fill(`${'the of and to in a is that '.repeat(12)}[MASK] end`) };

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly code?: string;
  readonly message?: string;
}

async function post(path: string, key: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ...json.error };
}

const raw = (key: string) => post('/v2/models/bert/infer', key, rawBody());
const texts = (key: string) => post('/v1/models/bert/fill-mask', key, TEXTS);

/** Resolves once the server holds `n` requests (admitted, so their work is counted). */
async function holding(n: number): Promise<void> {
  while (server.context.inFlight < n) await new Promise((r) => setTimeout(r, 2));
}

function refused(a: Answer, pattern: RegExp): void {
  assert.equal(a.status, 429, JSON.stringify(a));
  assert.equal(a.code, 'QUEUE_FULL');
  assert.ok(Number(a.retryAfter) >= 1, `Retry-After ${a.retryAfter}`);
  assert.match(a.message ?? '', pattern);
}

before(async () => {
  mkdirSync(join(dir, 'bert'), { recursive: true });
  writeForeignFolder(join(dir, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  server = await startServer({
    modelsDir: dir,
    port: 0,
    host: '127.0.0.1',
    processMetrics: false,
    log: () => {},
    batching: { maxBatchSize: 64, maxDelayMs: 1000, maxClientWork: 3000, maxWork: 5000 },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('admission by work: raw tensors and texts under the same budgets', () => {
  it('counts a raw request against its client and its variant, as texts count', async () => {
    const first = raw('a');
    await holding(1);
    refused(await texts('a'), /your requests hold 2048 .* at most 3000 per client/);
    const second = raw('b');
    await holding(2);
    refused(await raw('c'), /this model variant holds 4096 .* at most 5000; this request costs 2048/);
    assert.deepEqual(
      (await Promise.all([first, second])).map((a) => a.status),
      [200, 200],
    );
  });

  it('counts texts against the budget a raw request then finds full, and frees it once answered', async () => {
    const held = texts('a');
    await holding(1);
    refused(await raw('a'), /your requests hold \d+ .* this request costs 2048/);
    assert.equal((await held).status, 200);
    assert.equal((await raw('a')).status, 200, 'answered work is released');
  });
});

describe('clientOf', () => {
  const req = (authorization: string | undefined, remoteAddress = '127.0.0.9') =>
    ({
      get: (h: string) => (h === 'authorization' ? authorization : undefined),
      socket: { remoteAddress },
    }) as unknown as Request;

  it('names a client by a digest of its API key, else by its address', () => {
    const a = clientOf(req('Bearer secret-a'));
    assert.match(a, /^key:[0-9a-f]{16}$/);
    assert.ok(!a.includes('secret'), 'the key itself is not in the name');
    assert.equal(
      clientOf(req('bearer secret-a', '10.0.0.1')),
      a,
      'the same key from elsewhere is the same client',
    );
    assert.notEqual(clientOf(req('Bearer secret-b')), a);
    assert.equal(clientOf(req(undefined)), 'addr:127.0.0.9');
    assert.equal(clientOf(req('Basic xyz', '::1')), 'addr:::1');
  });
});
