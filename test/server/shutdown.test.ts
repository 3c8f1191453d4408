/**
 * Graceful shutdown with 50 requests on the way: every one is answered — 200 if it was in flight, 503 with
 * Connection: close if it arrived (or finished sending its body) after the drain began — and none is reset;
 * a client still dripping its body when the in-flight work is done is answered 503 then, not waited for.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../../src/server/server.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-shutdown-'));
const models = join(dir, 'models');

before(() => {
  mkdirSync(join(models, 'bert'), { recursive: true });
  writeForeignFolder(join(models, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const start = (extra: Partial<Parameters<typeof startServer>[0]> = {}) =>
  startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    log: () => {},
    ...extra,
  });

describe('shutdown', () => {
  it('answers all 50 requests (200 or 503), resets none, and then stops listening', async () => {
    const server = await start({ batching: { maxBatchSize: 4, maxDelayMs: 5 } });
    const text = `${'the of and to in a is that '.repeat(12)}[MASK]`;
    const requests = Array.from({ length: 50 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 2)).then(() =>
        fetch(`${server.url}/v1/models/bert/fill-mask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: text }),
        }).then(
          async (res) => ({
            status: res.status,
            connection: res.headers.get('connection'),
            body: await res.text(),
          }),
          (error: Error) => ({ status: 0, connection: null, body: String(error.cause ?? error) }),
        ),
      ),
    );
    for (let i = 0; i < 500 && server.context.inFlight < 8; i++) await new Promise((r) => setTimeout(r, 2));
    assert.ok(server.context.inFlight >= 8, 'requests are in flight when the drain starts');
    await server.close();
    const results = await Promise.all(requests);
    const statuses = results.map((r) => r.status);
    assert.deepEqual(
      statuses.filter((s) => s !== 200 && s !== 503),
      [],
      JSON.stringify(results.filter((r) => r.status !== 200 && r.status !== 503).slice(0, 3)),
    );
    assert.ok(statuses.includes(200));
    for (const r of results.filter((x) => x.status === 503)) {
      assert.equal(r.connection, 'close');
      assert.match(r.body, /SHUTTING_DOWN/);
    }
    await assert.rejects(fetch(`${server.url}/v2/health/live`));
  });

  it('answers a client still sending its body 503 at once, and does not wait for it', async () => {
    const server = await start();
    const body = JSON.stringify({ inputs: 'hello [MASK] world' });
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {}); // writes after the server closed the connection
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(
      `POST /v1/models/bert/fill-mask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    // One byte every 50 ms: the whole body would take over a second.
    let sent = 5;
    const drip = setInterval(() => {
      if (sent < body.length - 1 && !socket.destroyed) socket.write(body[sent++]!);
    }, 50);
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    await server.close();
    const closedIn = performance.now() - t0;
    await ended;
    clearInterval(drip);
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /connection: close/i);
    assert.match(answer, /"code":"SHUTTING_DOWN"/);
    assert.ok(sent < body.length - 1, 'the answer came before the body was complete');
    assert.ok(closedIn < 2_000, `close took ${closedIn.toFixed(0)} ms`);
  });
});

describe('shutdown under a retry storm', () => {
  it('clients that retry a 503 at once do not hold the drain for its grace period, and no accepted request is reset', async () => {
    const server = await start({ graceMs: 20_000 });
    const url = `${server.url}/v1/models/bert/fill-mask`;
    const body = JSON.stringify({ inputs: 'hello [MASK] world' });
    let stop = false;
    const outcomes = { ok: 0, shuttingDown: 0, refused: 0, reset: 0, other: 0 };
    // Eight clients that retry at once, whatever the answer, until the port closes (bounded: 20 s at most).
    const until = performance.now() + 20_000;
    const client = async () => {
      while (!stop && performance.now() < until) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          await res.arrayBuffer();
          if (res.status === 200) outcomes.ok++;
          else if (res.status === 503) outcomes.shuttingDown++;
          else outcomes.other++;
        } catch (error) {
          const code = (error as { cause?: { code?: string } }).cause?.code;
          if (code === 'ECONNREFUSED') {
            outcomes.refused++;
            return; // the port is closed: this replica is gone
          }
          if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') outcomes.reset++;
          else outcomes.other++;
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await server.close();
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await Promise.all(clients);
    assert.ok(outcomes.ok > 0, JSON.stringify(outcomes));
    assert.ok(outcomes.shuttingDown > 0, JSON.stringify(outcomes));
    assert.ok(
      seconds < 10,
      `the drain took ${seconds.toFixed(1)} s of its 20 s grace (${JSON.stringify(outcomes)})`,
    );
    assert.equal(outcomes.other, 0, JSON.stringify(outcomes));
  });
});
