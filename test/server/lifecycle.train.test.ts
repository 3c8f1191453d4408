/**
 * The server under pressure and through its life: a full queue answers 429 with Retry-After, a slow answer
 * 504, hot reload under traffic fails no request, unload/load work, and graceful shutdown answers every
 * request that was in flight.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/server.js';
import { trainTinyFillMask } from '../helpers/fill-mask.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-server-life-'));
const models = join(dir, 'models');
const KEY = 'k';
const TEXT = 'in out north east <mask> west up down left right in out';

before(async () => {
  mkdirSync(models);
  await trainTinyFillMask(dir, 'models/mlm', 300);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function start(options: Partial<ServerOptions>): Promise<RunningServer> {
  return startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    apiKey: KEY,
    processMetrics: false,
    log: () => {},
    ...options,
  });
}

async function fillMask(server: RunningServer, path = '/v1/models/mlm/fill-mask') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ inputs: TEXT }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    json: (await res.json()) as unknown,
  };
}

async function admin(server: RunningServer, action: 'load' | 'unload') {
  const res = await fetch(`${server.url}/v2/repository/models/mlm/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
  });
  return { status: res.status, json: (await res.json()) as { ready: boolean; status: string } };
}

const codeOf = (json: unknown) => (json as { error?: { code: string } }).error?.code;

describe('server lifecycle', () => {
  it('answers 429 with Retry-After when a variant queue is full, and serves the rest', async () => {
    // Nothing is dispatched for a second, so the queue of two fills deterministically.
    const server = await start({ batching: { maxBatchSize: 64, maxQueue: 2, maxDelayMs: 1000 } });
    try {
      const results = await Promise.all(Array.from({ length: 30 }, () => fillMask(server)));
      const full = results.filter((r) => r.status === 429);
      assert.equal(full.length, 28, 'all but two requests find the queue full');
      assert.ok(results.some((r) => r.status === 200));
      assert.ok(results.every((r) => r.status === 200 || r.status === 429));
      for (const r of full) {
        assert.equal(codeOf(r.json), 'QUEUE_FULL');
        assert.ok(Number(r.retryAfter) >= 1);
      }
    } finally {
      await server.close();
    }
  });

  it('answers 504 when a request outlives its time limit', async () => {
    const server = await start({ batching: { timeoutMs: 1, maxDelayMs: 50, maxBatchSize: 64 } });
    try {
      const r = await fillMask(server);
      assert.equal(r.status, 504);
      assert.equal(codeOf(r.json), 'REQUEST_TIMEOUT');
    } finally {
      await server.close();
    }
  });

  it('reloads a model under traffic without failing a request; unload and load again', async () => {
    const server = await start({});
    try {
      let stop = false;
      const statuses: number[] = [];
      const traffic = (async () => {
        while (!stop) statuses.push((await fillMask(server)).status);
      })();
      await new Promise((r) => setTimeout(r, 100));
      const reload = await admin(server, 'load');
      assert.equal(reload.status, 200);
      assert.equal(reload.json.ready, true);
      await new Promise((r) => setTimeout(r, 100));
      stop = true;
      await traffic;
      assert.ok(statuses.length > 5, `traffic ran (${statuses.length} requests)`);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );

      const unloaded = await admin(server, 'unload');
      assert.equal(unloaded.json.status, 'unloaded');
      const refused = await fillMask(server);
      assert.equal(refused.status, 503);
      assert.equal(codeOf(refused.json), 'MODEL_NOT_READY');
      assert.equal((await admin(server, 'load')).status, 200);
      assert.equal((await fillMask(server)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('finishes every in-flight request on shutdown, then stops listening', async () => {
    const server = await start({ batching: { maxBatchSize: 64, maxDelayMs: 400 } });
    const inFlight = Array.from({ length: 16 }, () => fillMask(server));
    // Requests that arrive after shutdown began are refused (503) so clients retry elsewhere: start it once
    // all 16 are in.
    for (let i = 0; i < 300 && server.context.inFlight < 16; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.context.inFlight, 16, 'requests are in flight when shutdown starts');
    const closed = server.close();
    const results = await Promise.all(inFlight);
    await closed;
    assert.deepEqual(
      results.map((r) => r.status),
      Array(16).fill(200),
    );
    await assert.rejects(fetch(`${server.url}/v2/health/live`));
  });
});
