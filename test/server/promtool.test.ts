/**
 * `/metrics` as Prometheus's own linter reads it: `promtool check metrics` (Debian's prometheus package) over
 * the exposition of a server that has answered a request, process metrics included. Skipped, saying so, where
 * promtool is not installed (`apt-get install prometheus`, or PROMTOOL=/path/to/promtool).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MISNAMED_DEFAULT_GAUGES } from '../../src/server/metrics.js';
import { startServer } from '../../src/server/server.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const promtool = process.env.PROMTOOL ?? 'promtool';
const found = spawnSync(promtool, ['--version'], { encoding: 'utf8' }).status === 0;
if (!found)
  process.stderr.write(
    `\n*** promtool not found: /metrics is NOT checked by Prometheus's linter. Install it (apt-get install prometheus) or set PROMTOOL. ***\n\n`,
  );

const dir = mkdtempSync(join(tmpdir(), 'tlc-promtool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('metrics exposition', () => {
  it('passes `promtool check metrics`, process metrics included', {
    skip: found ? false : 'promtool not installed (apt-get install prometheus)',
  }, async () => {
    const models = join(dir, 'models');
    mkdirSync(join(models, 'bert'), { recursive: true });
    writeForeignFolder(join(models, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
    const server = await startServer({ modelsDir: models, port: 0, host: '127.0.0.1', threads: 1 });
    try {
      const res = await fetch(`${server.url}/v1/models/bert/fill-mask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'hello [MASK] world' }),
      });
      assert.equal(res.status, 200, await res.text());
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /^tlc_requests_total\{.*model="bert".*\} 1$/m);
      assert.match(text, /^process_cpu_seconds_total /m);
      // The variant's session worker process, read from /proc: a Node runtime with a BERT session, tens of MB.
      const worker = /^tlc_session_worker_resident_bytes\{.*model="bert".*\} (\d+)$/m.exec(text);
      if (process.platform === 'linux') assert.ok(worker !== null && Number(worker[1]) > 20e6, worker?.[0]);
      for (const name of MISNAMED_DEFAULT_GAUGES) assert.ok(!text.includes(`${name} `), name);
      const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
    } finally {
      await server.close();
    }
  });
});
