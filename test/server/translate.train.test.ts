/**
 * POST /v1/models/{m}/translate and v2 text inference on a tiny trained translation model: the server's
 * answers equal translateIds run directly on the same sessions' files (greedy and beam), batched requests
 * equal single ones, and the word-for-word synthetic language comes out right for most sentences.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession } from '../../src/ort/session.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { translateIds } from '../../src/tasks/translation/translate.js';
import { readTranslationModel } from '../../src/tasks/translation/translation-model.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { syntheticPairs, trainTinyTranslation } from '../helpers/translation.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-server-mt-'));
const models = join(dir, 'models');
let server: RunningServer;

before(async () => {
  const { model } = await trainTinyTranslation(dir);
  mkdirSync(models);
  cpSync(model, join(models, 'mt'), { recursive: true });
  server = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    batching: { maxBatchSize: 8, maxDelayMs: 20 },
    log: () => {},
  });
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

/** translateIds on the exported files, outside the server. */
async function direct(texts: string[], numBeams: number): Promise<string[]> {
  const folder = join(models, 'mt');
  const m = readTranslationModel(folder);
  const [encoder, decoder, decoderWithPast] = await Promise.all(
    [m.files.encoder, ...m.files.decoders].map((f) => createSession(f)),
  );
  const tokenizer = await Tokenizer.fromFile(join(folder, 'tokenizer.json'));
  const sources = texts.map((t) =>
    Int32Array.from([...tokenizer.encode(t, { addSpecialTokens: false }), m.eos]),
  );
  const out = await translateIds(
    { encoder: encoder!, decoder: decoder!, decoderWithPast: decoderWithPast! },
    sources,
    {
      bos: m.bos,
      eos: m.eos,
      pad: m.pad,
      decoderStart: m.decoderStart,
      maxNewTokens: m.maxLength - 1,
      numBeams,
    },
  );
  return out.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }).trim());
}

describe('server: translate', () => {
  const pairs = syntheticPairs(99, 8);
  const sources = pairs.map((p) => p.source);

  it('translates as translateIds does, greedy and with beams, batched or alone', async () => {
    for (const numBeams of [1, 3]) {
      const want = await direct(sources, numBeams);
      const batch = await post('/v1/models/mt/translate', {
        inputs: sources,
        parameters: { num_beams: numBeams },
      });
      assert.equal(batch.status, 200, JSON.stringify(batch.json));
      assert.deepEqual(
        (batch.json as { translation_text: string }[]).map((t) => t.translation_text),
        want,
      );
      const one = await post('/v1/models/mt/translate', {
        inputs: sources[0],
        parameters: { num_beams: numBeams },
      });
      assert.deepEqual(one.json, [{ translation_text: want[0] }]);
    }
    const greedy = await direct(sources, 1);
    const exact = greedy.filter((t, i) => t === pairs[i]!.target).length;
    assert.ok(exact >= 4, `the trained model translates most sentences exactly (${exact}/8)`);
  });

  it('limits generated tokens and refuses fill-mask on a translation model', async () => {
    const short = await post('/v1/models/mt/translate', {
      inputs: sources[0],
      parameters: { max_new_tokens: 1 },
    });
    assert.equal(short.status, 200);
    const text = (short.json as { translation_text: string }[])[0]!.translation_text;
    assert.ok(text.split(' ').length <= 1, text);
    const wrong = await post('/v1/models/mt/fill-mask', { inputs: 'a <mask>' });
    assert.equal(wrong.status, 400);
    assert.equal((wrong.json as { error: { code: string } }).error.code, 'TASK_MISMATCH');
  });

  it('answers KServe v2 text inference with translation_text', async () => {
    const res = await post('/v2/models/mt/infer', {
      inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: sources.slice(0, 2) }],
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const out = (res.json as { outputs: { name: string; datatype: string; data: string[] }[] }).outputs[0]!;
    assert.equal(out.name, 'translation_text');
    assert.equal(out.datatype, 'BYTES');
    assert.deepEqual(out.data, await direct(sources.slice(0, 2), 1));
  });
});
