/**
 * Graceful shutdown with 50 requests on the way: every one is answered — 200 if it was in flight, 503 with
 * Connection: close if it arrived (or finished sending its body) after the drain began — and none is reset.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

describe('shutdown', () => {
  it('answers all 50 requests (200 or 503), resets none, and then stops listening', async () => {
    const server = await startServer({
      modelsDir: models,
      port: 0,
      host: '127.0.0.1',
      threads: 1,
      processMetrics: false,
      batching: { maxBatchSize: 4, maxDelayMs: 5 },
      log: () => {},
    });
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
});
