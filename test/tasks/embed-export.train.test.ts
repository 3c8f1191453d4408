/**
 * An MLM run exported as a sentence-embedding model (`tlc export --as feature-extraction`; trains a tiny MLM run,
 * seconds): a sentence-transformers folder (RobertaModel config, modules.json with mean pooling and Normalize);
 * `/v1/embeddings` answers the mean of its graph's token states over the text, normalized; a run of another task
 * is refused with what it exports as.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportRun } from '../../src/export/export-run.js';
import { loadModel } from '../../src/onnx/io.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import type { RunningServer } from '../../src/server/server.js';
import { exportAs } from '../../src/tasks/index.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { COMPASS } from '../helpers/fill-mask.js';
import { postJson, startTestServer } from '../helpers/test-server.js';
import { countingText, tinyRun } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-embed-export-'));
const run = join(dir, 'mlm');
const models = join(dir, 'models');
const folder = join(models, 'embed');
let server: RunningServer;

before(async () => {
  writeFileSync(
    join(dir, 'text.txt'),
    countingText(Rng.seeded(3), COMPASS, 100, () => 30),
  );
  await runTraining(
    tinyRun({ evalEvery: '20', evalTokens: '1024', data: [join(dir, 'text.txt')], maxSteps: '20', out: run }),
    { log: () => {} },
  );
  mkdirSync(models);
  await exportRun(run, folder, { as: 'feature-extraction' });
  server = await startTestServer(models);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tlc export --as feature-extraction', () => {
  it('writes a sentence-transformers folder: RobertaModel, mean pooling, Normalize', () => {
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as {
      architectures: string[];
    };
    assert.deepEqual(config.architectures, ['RobertaModel']);
    const tlc = JSON.parse(readFileSync(join(folder, 'tlc.json'), 'utf8')) as { task: string };
    assert.equal(tlc.task, 'feature-extraction');
    const pooling = JSON.parse(readFileSync(join(folder, '1_Pooling', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(pooling.pooling_mode_mean_tokens, true);
    assert.ok(existsSync(join(folder, 'modules.json')));
    // Every weight of the graph is the MLM run's (baked by name; its vocabulary head left out).
    const trained = readCheckpoint(join(run, 'best.safetensors')).tensors;
    const graph = loadModel(join(folder, 'onnx', 'model.onnx')).graph;
    let baked = 0;
    for (const [name, t] of graph.initializers) {
      const w = trained.get(name);
      if (w === undefined) continue;
      assert.deepEqual(Array.from(t.data as Float32Array), Array.from(w.data as Float32Array), name);
      baked++;
    }
    assert.ok(baked > 10, `${baked} weights from the run`);
    assert.ok(
      trained.has('head.dense.weight') && !graph.initializers.has('head.dense.weight'),
      'no MLM head',
    );
  });

  it('serves the mean of the encoder’s token states over the text, at unit length', async () => {
    const tokenizer = await Tokenizer.fromFile(folder);
    const text = 'north east south west up down';
    const ids = tokenizer.encode(text);
    const session = await createSession(join(folder, 'onnx', 'model.onnx'), { threads: 1 });
    let expected: number[];
    try {
      const n = ids.length;
      const out = await runSession(session, {
        input_ids: ortTensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
        attention_mask: ortTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      });
      const states = out.last_hidden_state!;
      const d = Number(states.dims[2]);
      const data = states.data as Float32Array;
      const mean = Array.from({ length: d }, (_, j) => {
        let s = 0;
        for (let t = 0; t < n; t++) s += data[t * d + j]!;
        return s / n;
      });
      const norm = Math.hypot(...mean);
      expected = mean.map((v) => v / norm);
    } finally {
      await session.release();
    }
    const res = await postJson(server, '/v1/embeddings', { model: 'embed', input: text });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const got = (res.json as { data: { embedding: number[] }[] }).data[0]!.embedding;
    assert.equal(got.length, expected.length);
    for (const [j, v] of got.entries()) assert.ok(Math.abs(v - expected[j]!) < 1e-5, `[${j}]`);
  });

  it('refuses a run of a task that does not export as the one asked', () => {
    assert.throws(() => exportAs('feature-extraction', 'translation'), {
      code: 'CLI_USAGE',
      message: /a translation run exports as translation, not feature-extraction/,
    });
    assert.equal(exportAs('feature-extraction', 'mlm').name, 'feature-extraction');
  });
});
