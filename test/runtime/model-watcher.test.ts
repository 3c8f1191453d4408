/**
 * `tlc serve --watch` (runtime/model-watcher.ts): a model folder that appears is loaded, one whose files change
 * is reloaded (the old version answering until then), one that disappears is unloaded only after two looks (a
 * folder replaced by a rename is briefly absent), and an unchanged folder is left alone. Looks are called by
 * hand for the registry; the last test goes through a server started with `watchMs`.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUILDING_FILE, writeBuilding } from '../../src/model-folder/building.js';
import { folderFingerprint, ModelWatcher } from '../../src/runtime/model-watcher.js';
import { ModelRegistry } from '../../src/runtime/registry.js';
import { startServer } from '../../src/server/server.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';
import { startTestServer } from '../helpers/test-server.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-watch-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a servable BERT folder under `models` as `name`, through a rename as export-and-compress does. */
function publish(models: string, name: string, config = BERT_CONFIG): void {
  const staging = join(models, `.${name}.tmp`);
  writeForeignFolder(staging, TORCH_BERT, { config, tokenizer: 1000 });
  rmSync(join(models, name), { recursive: true, force: true });
  renameSync(staging, join(models, name));
}

const registryOf = (models: string) =>
  new ModelRegistry(models, {
    device: 'cpu',
    threads: 1,
    workersPerVariant: 1,
    batching: { maxBatchSize: 4, maxDelayMs: 1, maxQueue: 16, timeoutMs: 10_000, concurrency: 1 },
    drainMs: 0,
  });

describe('the model watcher', () => {
  it('loads what appears, reloads what changed, leaves the rest, unloads what is gone twice', async () => {
    const models = join(root, 'a');
    mkdirSync(models);
    publish(models, 'kept');
    const registry = registryOf(models);
    await registry.loadAll();
    const log: string[] = [];
    const watcher = new ModelWatcher(registry, { intervalMs: 60_000, log: (m) => log.push(m) });
    try {
      await watcher.look();
      assert.deepEqual(log, [], 'nothing changed since the start');

      publish(models, 'fresh');
      await watcher.look();
      assert.equal(registry.get('fresh').status, 'ready');
      assert.match(log.join('\n'), /fresh: new in the models folder, loading/);

      const before = registry.get('kept').variants.get('fp32');
      publish(models, 'kept', { ...BERT_CONFIG, max_position_embeddings: 64 });
      await watcher.look();
      assert.match(log.join('\n'), /kept: changed on disk, reloading/);
      assert.notEqual(registry.get('kept').variants.get('fp32'), before, 'new sessions for the new files');
      assert.equal(log.filter((m) => /^fresh: /.test(m)).length, 1, 'fresh was loaded once and left alone');

      rmSync(join(models, 'fresh'), { recursive: true });
      await watcher.look();
      assert.equal(registry.get('fresh').status, 'ready', 'absent once: maybe a rename in progress');
      await watcher.look();
      assert.equal(registry.get('fresh').status, 'unloaded');
    } finally {
      await watcher.stop();
      await registry.close();
    }
  });

  it('fingerprints a folder by its defining files, so that a rewrite of tlc.json or a graph shows', () => {
    const dir = join(root, 'print');
    writeForeignFolder(dir, TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
    const first = folderFingerprint(dir);
    assert.equal(folderFingerprint(dir), first);
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}'); // not a defining file
    assert.equal(folderFingerprint(dir), first);
    copyFileSync(TORCH_BERT, join(dir, 'model_int8.onnx'));
    assert.notEqual(folderFingerprint(dir), first);
  });

  it('serves a folder that appears after the start with `watchMs`', async () => {
    const models = join(root, 'served');
    mkdirSync(models);
    const server = await startServer({
      modelsDir: models,
      port: 0,
      host: '127.0.0.1',
      threads: 1,
      allowEmpty: true,
      watchMs: 100,
      processMetrics: false,
      log: () => {},
    });
    try {
      publish(models, 'late');
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const res = await fetch(`${server.url}/v1/models/late/fill-mask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: 'hello [MASK] world' }),
        });
        await res.arrayBuffer();
        status = res.status;
      }
      assert.equal(status, 200, 'answered once loaded');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /tlc_requests_total\{[^}]*model="late"/);
    } finally {
      await server.close();
    }
  });
});

describe('variants being built (building.json)', () => {
  it('are listed as building, not loaded, not chosen by variant=auto, and gone once the folder lists them', async () => {
    const models = join(root, 'building');
    mkdirSync(models);
    publish(models, 'm');
    writeBuilding(join(models, 'm'), ['int8', 'fp32']);
    const server = await startTestServer(models);
    try {
      const list = async () =>
        (
          (await (await fetch(`${server.url}/v1/models`)).json()) as {
            models: { variants: { name: string; status?: string; loaded: boolean }[] }[];
          }
        ).models[0]!.variants;
      assert.deepEqual(
        (await list()).map((v) => [v.name, v.status ?? 'served', v.loaded]),
        [
          ['fp32', 'served', true],
          ['int8', 'building', false],
        ],
        'fp32 is in tlc.json already: listed once, as served',
      );
      const auto = await fetch(`${server.url}/v1/models/m/fill-mask?variant=auto`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'hello [MASK] world' }),
      });
      await auto.arrayBuffer();
      assert.equal(auto.headers.get('x-tlc-variant'), 'fp32');
      const named = await fetch(`${server.url}/v1/models/m/fill-mask?variant=int8`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'hello [MASK] world' }),
      });
      assert.equal(named.status, 404);
      rmSync(join(models, 'm', BUILDING_FILE));
      assert.deepEqual(
        (await list()).map((v) => v.name),
        ['fp32'],
      );
    } finally {
      await server.close();
    }
  });
});
