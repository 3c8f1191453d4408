/**
 * Serving folders that other tools wrote (PyTorch exports in Optimum's layout, with config.json and a BERT
 * tokenizer): a masked LM serves with its own length limit and answers as ONNX Runtime computes; a causal LM
 * is listed as "task not served" without making the server unready; a tokenizer larger than the embedding is
 * refused at load; entries that are not models are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { openTranslation } from '../../src/tasks/translation/decoder-sessions.js';
import { translateIds } from '../../src/tasks/translation/translate.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import {
  BERT_CONFIG,
  GPT_CONFIG,
  TORCH_BERT,
  TORCH_GPT,
  writeBertTokenizer,
  writeForeignFolder,
} from '../helpers/foreign.js';
import { TINY_SEQ2SEQ, writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-foreign-serve-'));
const models = join(dir, 'models');
let server: RunningServer;
const KEY = 'k';
const logs: string[] = [];

/** Token ids of writeBertTokenizer: [PAD] 0, [CLS] 2, [SEP] 3. */
const MARIAN_CONFIG = {
  architectures: ['MarianMTModel'],
  model_type: 'marian',
  vocab_size: TINY_SEQ2SEQ.vocabSize,
  d_model: 16,
  encoder_layers: 2,
  max_position_embeddings: TINY_SEQ2SEQ.maxLength,
  bos_token_id: 2,
  eos_token_id: 3,
  pad_token_id: 0,
  decoder_start_token_id: 2,
};

before(async () => {
  mkdirSync(models);
  const folder = (name: string) => {
    mkdirSync(join(models, name));
    return join(models, name);
  };
  writeForeignFolder(folder('bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  writeForeignFolder(folder('gpt'), TORCH_GPT, { config: GPT_CONFIG, tokenizer: 1000 });
  writeForeignFolder(folder('big-tokenizer'), TORCH_BERT, {
    config: BERT_CONFIG,
    tokenizer: 1200,
    place: 'onnx',
  });
  writeForeignFolder(folder('reloaded'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  // A compressed folder whose int8 file is broken: the model serves fp32 and reports int8.
  const side = folder('side');
  writeFileSync(join(side, 'config.json'), JSON.stringify(BERT_CONFIG));
  writeBertTokenizer(side, 1000);
  await compress(TORCH_BERT, join(models, 'partial'), {
    recipes: [parseRecipe('int8')],
    latency: false,
    threads: 1,
    batch: 1,
    sequence: 8,
    config: join(side, 'config.json'),
    tokenizer: join(side, 'tokenizer.json'),
  });
  rmSync(side, { recursive: true });
  writeFileSync(join(models, 'partial', 'onnx', 'model_int8.onnx'), 'not an onnx file');
  const marian = folder('marian');
  writeSeq2SeqGraphs(marian, 'merged');
  writeBertTokenizer(marian, TINY_SEQ2SEQ.vocabSize);
  writeFileSync(join(marian, 'config.json'), JSON.stringify(MARIAN_CONFIG));
  copyFileSync(TORCH_BERT, join(models, 'stray.onnx'));
  writeFileSync(join(folder('notes'), 'notes.txt'), 'not a model');
  server = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    apiKey: KEY,
    log: (m) => logs.push(m),
  });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface ListedModel {
  name: string;
  status: string;
  error?: string;
  task?: string;
  reload_error?: string;
}

async function listModels(): Promise<{ models: ListedModel[] }> {
  const res = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
  return (await res.json()) as { models: ListedModel[] };
}

interface Candidate {
  token: number;
  score: number;
}

describe('foreign model folders in the server', () => {
  it('serves a BERT export: the answer is the top-5 of ONNX Runtime over the same ids', async () => {
    const text = 'the [MASK] of time';
    const { status, json } = await post('/v1/models/bert/fill-mask', { inputs: text });
    assert.equal(status, 200, JSON.stringify(json));
    const answer = json as unknown as Candidate[];
    assert.equal(answer.length, 5);
    const tokenizer = await Tokenizer.fromFile(join(models, 'bert'));
    const ids = tokenizer.encode(text);
    const maskAt = ids.indexOf(tokenizer.specialIds.mask!);
    const session = await createSession(TORCH_BERT, { threads: 1 });
    const out = await runSession(session, {
      input_ids: ortTensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: ortTensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    });
    await session.release();
    const logits = (out.logits!.data as Float32Array).subarray(maskAt * 1000, (maskAt + 1) * 1000);
    const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!);
    assert.deepEqual(
      answer.map((c) => c.token),
      order.slice(0, 5),
    );
    const max = logits[order[0]!]!;
    const z = logits.reduce((s, x) => s + Math.exp(x - max), 0);
    assert.ok(Math.abs(answer[0]!.score - 1 / z) < 1e-5);
  });

  it('serves an Optimum seq2seq folder with a merged decoder: the answer is translateIds over its graphs', async () => {
    const text = 'the of and to in';
    const { status, json } = await post('/v1/models/marian/translate', { inputs: text });
    assert.equal(status, 200, JSON.stringify(json));
    const dir = join(models, 'marian');
    const tokenizer = await Tokenizer.fromFile(dir);
    const source = Int32Array.from([...tokenizer.encode(text, { addSpecialTokens: false }), 3]);
    const { sessions, opened } = await openTranslation(
      ['encoder_model.onnx', 'decoder_model_merged.onnx'],
      (f) => createSession(join(dir, f), { threads: 1 }),
    );
    const [ids] = await translateIds(sessions, [source], {
      bos: 2,
      eos: 3,
      pad: 0,
      decoderStart: 2,
      maxNewTokens: TINY_SEQ2SEQ.maxLength - 1,
      maxLength: TINY_SEQ2SEQ.maxLength,
    });
    for (const s of opened) await s.release();
    const expected = tokenizer.decode(ids!, { skipSpecialTokens: true });
    assert.ok(expected.length > 0, 'the random model generates words, not only an end token');
    assert.deepEqual(json, [{ translation_text: expected }]);
  });

  it("refuses a request over the model's 128 positions with 413 and the limit", async () => {
    const long = `${'the '.repeat(130)}[MASK]`;
    const { status, json } = await post('/v1/models/bert/fill-mask', { inputs: long });
    assert.equal(status, 413);
    const error = json.error as { code: string; message: string };
    assert.equal(error.code, 'INPUT_TOO_LARGE');
    assert.match(error.message, /at most 128/);
  });

  it('cuts an over-long input to the limit when the request asks for truncation', async () => {
    const long = `the [MASK] ${'time '.repeat(200)}`;
    const { status, json } = await post('/v1/models/bert/fill-mask', {
      inputs: long,
      parameters: { truncation: true, top_k: 2 },
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal((json as unknown as Candidate[]).length, 2);
    const v2 = await post('/v2/models/bert/infer', {
      inputs: [
        { name: 'text', shape: [1], datatype: 'BYTES', data: [long], parameters: { truncation: true } },
      ],
    });
    assert.equal(v2.status, 200, JSON.stringify(v2.json));
  });

  it('refuses bad v2 parameters as v1 does, and valid neighbours in the same batches are unharmed', async () => {
    const v2 = (parameters: Record<string, unknown>) =>
      post('/v2/models/bert/infer', {
        inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['the [MASK] of time'] }],
        parameters,
      });
    const valid = Array.from({ length: 12 }, () =>
      post('/v1/models/bert/fill-mask', { inputs: 'the [MASK] of' }),
    );
    const bad = [v2({ top_k: 1_000_000_000 }), v2({ top_k: 'abc' }), v2({ top_k: 0 })];
    const results = await Promise.all([...valid, ...bad]);
    assert.deepEqual(
      results.slice(0, 12).map((r) => r.status),
      Array(12).fill(200),
    );
    for (const r of results.slice(12)) {
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal((r.json.error as { code: string }).code, 'REQUEST_INVALID');
      assert.match((r.json.error as { message: string }).message, /top_k/);
    }
  });

  it('checks raw-tensor requests before ONNX Runtime: client mistakes are 4xx with a code', async () => {
    const meta = (await (
      await fetch(`${server.url}/v2/models/bert`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as {
      inputs: { name: string; datatype: string; shape: number[] }[];
    };
    const names = meta.inputs.map((i) => i.name);
    // The served fill-mask graph: ids and mask, the rows to fill and top_k (the softmax top-k is in the graph).
    for (const n of ['input_ids', 'attention_mask', 'mask_rows', 'top_k'])
      assert.ok(names.includes(n), names.join(', '));
    const tensor = (name: string, shape: number[], data: unknown[], datatype = 'INT64') => ({
      name,
      shape,
      datatype,
      data,
    });
    const ids = (values: number[]) => tensor('input_ids', [1, values.length], values);
    const ones = (n: number) => tensor('attention_mask', [1, n], Array(n).fill(1));
    const extra = (n: number) =>
      [tensor('mask_rows', [1], [1]), tensor('top_k', [1], [3])]
        .filter((t) => names.includes(t.name))
        .map((t) => (t.name === 'mask_rows' ? { ...t, data: [Math.min(1, n - 1)] } : t));
    const infer = (inputs: unknown[], outputs?: unknown[]) =>
      post('/v2/models/bert/infer', { inputs, ...(outputs && { outputs }) });
    const ok = await infer([ids([2, 10, 4, 3]), ones(4), ...extra(4)]);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const cases: [string, unknown[], number, RegExp][] = [
      [
        'values',
        [
          tensor('input_ids', [1024, 128], Array(1024 * 128).fill(5)),
          tensor('attention_mask', [1024, 128], Array(1024 * 128).fill(1)),
        ],
        413,
        // Refused from the bytes, before parsing: more values than any loaded model takes.
        /holds more than \d+ values/,
      ],
      [
        'rows',
        [
          tensor('input_ids', [65, 2], Array(130).fill(5)),
          tensor('attention_mask', [65, 2], Array(130).fill(1)),
        ],
        413,
        /65 rows; at most 64/,
      ],
      [
        'positions',
        [ids(Array(200).fill(5)), ones(200), ...extra(200)],
        413,
        /200 positions; the model takes at most 128/,
      ],
      ['token id', [ids([2, 5000, 3]), ones(3), ...extra(3)], 422, /value 5000 at 1 is not a token id/],
      ['empty shape', [tensor('input_ids', [], [5]), ones(1), ...extra(1)], 422, /rank 0|positive integers/],
      ['huge shape', [tensor('input_ids', [2 ** 53, 0], []), ones(1), ...extra(1)], 422, /positive integers/],
      ['nesting', [{ ...ids([2, 3]), data: [[[[[2]]]], 3] }, ones(2), ...extra(2)], 422, /nested deeper/],
      [
        'datatype',
        [tensor('input_ids', [1, 3], [2, 10, 3], 'INT32'), ones(3), ...extra(3)],
        422,
        /the model takes INT64/,
      ],
      ['disagreeing shapes', [ids([2, 10, 4, 3]), ones(3), ...extra(4)], 422, /must agree/],
      ['fractional id', [ids([2, 10.5, 3]), ones(3), ...extra(3)], 422, /value 10\.5 at 1 is not a INT64/],
      ['huge id', [ids([2, 1e300, 3]), ones(3), ...extra(3)], 422, /is not a INT64/],
      [
        'BYTES count',
        [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['a', 'b', 'c'] }],
        422,
        /needs 1 strings, got 3/,
      ],
    ];
    for (const [what, inputs, status, message] of cases) {
      const r = await infer(inputs);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json).slice(0, 300)}`);
      assert.match((r.json.error as { message: string }).message, message, what);
    }
    if (names.includes('mask_rows')) {
      const r = await infer([
        ids([2, 10, 4, 3]),
        ones(4),
        tensor('mask_rows', [1], [99]),
        tensor('top_k', [1], [3]),
      ]);
      assert.equal(r.status, 422);
      assert.match((r.json.error as { message: string }).message, /mask_rows.*99/);
    }
    const unknownOutput = await infer([ids([2, 10, 4, 3]), ones(4), ...extra(4)], [{ name: 'nope' }]);
    assert.equal(unknownOutput.status, 422);
    assert.match((unknownOutput.json.error as { message: string }).message, /unknown output/);
  });

  it('refuses, before any work, an answer of more candidates than the limit', async () => {
    const text = Array(20).fill('[MASK]').join(' the ');
    const { status, json } = await post('/v1/models/bert/fill-mask', {
      inputs: Array(64).fill(text),
      parameters: { top_k: 100 },
    });
    assert.equal(status, 413);
    assert.match((json.error as { message: string }).message, /128000 candidates.*at most 10000/);
  });

  it('serialises concurrent reloads of a model: no worker threads leak', async () => {
    const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const load = () => post('/v2/repository/models/bert/load', {});
    assert.equal((await load()).status, 200);
    const before = threads();
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([load(), load(), load()]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 200],
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(threads() <= before + 2, `threads ${before} → ${threads()}`);
    const { status } = await post('/v1/models/bert/fill-mask', { inputs: 'the [MASK] of' });
    assert.equal(status, 200);
  });

  it('keeps serving the old version when a reload fails, and says so until a load succeeds', async () => {
    const dir = join(models, 'reloaded');
    writeBertTokenizer(dir, 1200);
    const failed = await post('/v2/repository/models/reloaded/load', {});
    assert.equal(failed.status, 422);
    assert.equal((await post('/v1/models/reloaded/fill-mask', { inputs: 'the [MASK]' })).status, 200);
    const listed = await listModels();
    const entry = listed.models.find((m) => m.name === 'reloaded')!;
    assert.equal(entry.status, 'ready');
    assert.match(entry.reload_error!, /1200 tokens but the model embeds 1000/);
    const index = (await post('/v2/repository/index', {})).json as unknown as {
      name: string;
      reason?: string;
    }[];
    assert.match(index.find((e) => e.name === 'reloaded')!.reason!, /last reload failed/);
    writeBertTokenizer(dir, 1000);
    assert.equal((await post('/v2/repository/models/reloaded/load', {})).status, 200);
    const after = await listModels();
    assert.equal(after.models.find((m) => m.name === 'reloaded')!.reload_error, undefined);
  });

  it('checks the key before the body, refuses malformed paths and oversized headers with the error shape', async () => {
    const noKey = await fetch(`${server.url}/v2/repository/index`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not": "valid"',
    });
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const badEscape = await fetch(`${server.url}/v2/models/%ZZ/ready`);
    assert.equal(badEscape.status, 400);
    assert.match(
      ((await badEscape.json()) as { error: { message: string } }).error.message,
      /malformed %-escape/,
    );
    const big = await fetch(`${server.url}/v2/health/live`, { headers: { 'x-filler': 'x'.repeat(20_000) } });
    assert.equal(big.status, 431);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'INPUT_TOO_LARGE');
    // 400,000 levels of nesting in 800 KB: refused as a client mistake, not a stack overflow (500).
    const deep = await fetch(`${server.url}/v2/models/bert/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":${'['.repeat(400_000)}${']'.repeat(400_000)}}]}`,
    });
    assert.equal(deep.status, 400);
    assert.match(
      ((await deep.json()) as { error: { message: string } }).error.message,
      /nests deeper than 32 levels/,
    );
  });

  it('serves the variants that load and reports the one that does not', async () => {
    const partial = (await listModels()).models.find((m) => m.name === 'partial') as ListedModel & {
      variants: { name: string; loaded: boolean; error?: string }[];
    };
    assert.equal(partial.status, 'ready');
    assert.deepEqual(
      partial.variants.map((v) => [v.name, v.loaded]),
      [
        ['fp32', true],
        ['int8', false],
      ],
    );
    // The file is named relative to the models folder: answers carry no absolute host paths (the log does).
    assert.match(partial.variants[1]!.error!, /partial\/onnx\/model_int8\.onnx/);
    assert.ok(logs.some((l) => l.includes(join(models, 'partial', 'onnx', 'model_int8.onnx'))));
    assert.equal((await post('/v1/models/partial/fill-mask', { inputs: 'the [MASK]' })).status, 200);
    const int8 = await post('/v1/models/partial/fill-mask?variant=int8', { inputs: 'the [MASK]' });
    assert.equal(int8.status, 404);
  });

  it('lists a causal LM as unsupported, with how its task was detected, and stays ready', async () => {
    const listed = await listModels();
    const gpt = listed.models.find((m) => m.name === 'gpt')!;
    assert.equal(gpt.status, 'unsupported');
    assert.equal(gpt.task, 'text-generation');
    assert.match(gpt.error!, /task not served.*GPT2LMHeadModel/);
    const { status, json } = await post('/v1/models/gpt/fill-mask', { inputs: 'the [MASK]' });
    assert.equal(status, 422);
    assert.equal((json.error as { code: string }).code, 'TASK_NOT_SERVED');
  });

  it('refuses at load a tokenizer larger than the embedding', async () => {
    const listed = await listModels();
    const big = listed.models.find((m) => m.name === 'big-tokenizer')!;
    assert.equal(big.status, 'failed');
    assert.match(big.error!, /1200 tokens but the model embeds 1000/);
  });

  it('says why other entries are skipped, and lists them in the repository index', async () => {
    assert.ok(
      logs.some((l) => /stray\.onnx: skipped: a bare \.onnx file/.test(l)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => /notes: skipped: no tlc\.json and no \.onnx graph/.test(l)),
      logs.join('\n'),
    );
    const { status, json } = await post('/v2/repository/index', {});
    assert.equal(status, 200, JSON.stringify(json));
    for (const answer of [json, await listModels()])
      assert.ok(!JSON.stringify(answer).includes(dir), JSON.stringify(answer));
    const index = json as unknown as { name: string; state: string; reason?: string }[];
    assert.deepEqual(
      index.map((e) => [e.name, e.state]),
      [
        ['bert', 'READY'],
        ['big-tokenizer', 'UNAVAILABLE'],
        ['gpt', 'UNAVAILABLE'],
        ['marian', 'READY'],
        ['partial', 'READY'],
        ['reloaded', 'READY'],
        ['notes', 'UNAVAILABLE'],
        ['stray.onnx', 'UNAVAILABLE'],
      ],
    );
  });
});
