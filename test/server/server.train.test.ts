/**
 * The inference server in process: every route, the error catalog, KServe v2 shapes, batching, metrics,
 * variant choice, hot reload under traffic, graceful shutdown with requests in flight, and a broken model
 * folder beside working ones. Fill-mask answers are checked against ONNX Runtime run directly on the
 * exported model (full logits, softmax, sort).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ERROR_CATALOG } from '../../src/errors/catalog.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainTinyFillMask } from '../helpers/fill-mask.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-server-'));
const models = join(dir, 'models');
let server: RunningServer;
const KEY = 'test-key';

interface Candidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as unknown };
}

async function get(path: string) {
  const res = await fetch(`${server.url}${path}`);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

function errorCode(json: unknown): string {
  return (json as { error: { code: string } }).error.code;
}

/** Top-k at each mask position, computed from the full logits of the exported model. */
async function reference(text: string, k: number): Promise<{ ids: number[]; scores: number[] }[]> {
  const tokenizer = await Tokenizer.fromFile(join(models, 'mlm', 'tokenizer.json'));
  const ids = tokenizer.encode(text);
  const session = await createSession(join(models, 'mlm', 'onnx', 'model.onnx'));
  const out = await runSession(session, {
    input_ids: ortTensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: ortTensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  await session.release();
  const logits = out.logits!.data as Float32Array;
  const v = out.logits!.dims[2]!;
  const result = [];
  for (const [p, id] of ids.entries()) {
    if (id !== tokenizer.specialIds.mask) continue;
    const row = Array.from(logits.subarray(p * v, (p + 1) * v));
    const max = Math.max(...row);
    const exp = row.map((x) => Math.exp(x - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const order = [...exp.keys()].sort((a, b) => exp[b]! - exp[a]!).slice(0, k);
    result.push({ ids: order, scores: order.map((i) => exp[i]! / sum) });
  }
  return result;
}

before(async () => {
  mkdirSync(models);
  await trainTinyFillMask(dir, 'mlm');
  cpSync(join(dir, 'mlm'), join(models, 'mlm'), { recursive: true });
  // A broken folder: its tlc.json lists a file that is not there.
  mkdirSync(join(models, 'broken', 'onnx'), { recursive: true });
  cpSync(join(models, 'mlm', 'tokenizer.json'), join(models, 'broken', 'tokenizer.json'));
  const tlc = JSON.parse(readFileSync(join(models, 'mlm', 'tlc.json'), 'utf8')) as { variants: unknown[] };
  writeFileSync(
    join(models, 'broken', 'tlc.json'),
    JSON.stringify({
      ...tlc,
      variants: [{ name: 'fp32', files: ['onnx/missing.onnx'], recipe: [], bytes: 0 }],
    }),
  );
  server = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    apiKey: KEY,
    batching: { maxBatchSize: 8, maxDelayMs: 20 },
    log: () => {},
  });
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('server: health, models and docs', () => {
  it('is live, and not ready while a model folder is broken; the others serve', async () => {
    assert.deepEqual((await get('/v2/health/live')).json, { live: true });
    const ready = await get('/v2/health/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual((ready.json as { models: unknown }).models, { broken: 'failed', mlm: 'ready' });
    assert.equal((await get('/v2/models/mlm/ready')).status, 200);
    const broken = await get('/v2/models/broken/ready');
    assert.equal(broken.status, 503);
    assert.match((broken.json as { error: string }).error, /missing\.onnx: missing/);
  });

  it('lists models with variants, sizes and measured latency', async () => {
    const { json } = await get('/v1/models');
    const list = (
      json as {
        models: {
          name: string;
          status: string;
          variants: { name: string; bytes: number; latency?: { p95_ms: number } }[];
        }[];
      }
    ).models;
    const mlm = list.find((m) => m.name === 'mlm')!;
    assert.equal(mlm.status, 'ready');
    assert.deepEqual(
      mlm.variants.map((v) => v.name),
      ['fp32', 'int8'],
    );
    assert.ok(mlm.variants[1]!.bytes < mlm.variants[0]!.bytes);
    assert.ok(mlm.variants.every((v) => (v.latency?.p95_ms ?? 0) > 0));
    assert.equal(list.find((m) => m.name === 'broken')!.status, 'failed');
  });

  it('serves its API description', async () => {
    const docs = await get('/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /\/v1\/models\/\{model\}\/fill-mask/);
    const yaml = await get('/openapi.yaml');
    assert.equal(parse(yaml.text).openapi, '3.1.0');
  });

  it('documents every error code of the catalog in openapi.yaml, once', () => {
    const doc = parse(readFileSync(join(import.meta.dirname, '..', '..', 'openapi.yaml'), 'utf8'));
    const codes: string[] = doc.components.schemas.Error.properties.error.properties.code.enum;
    assert.deepEqual([...codes].sort(), Object.keys(ERROR_CATALOG).sort());
    assert.equal(new Set(codes).size, codes.length);
  });
});

describe('server: fill-mask', () => {
  it('answers top-k as ONNX Runtime computes it from the full logits', async () => {
    const text = 'in out north east <mask> west up down left right in out';
    const res = await post('/v1/models/mlm/fill-mask', { inputs: text, parameters: { top_k: 5 } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.headers.get('x-tlc-variant'), 'fp32');
    const got = res.json as Candidate[];
    const [want] = await reference(text, 5);
    assert.deepEqual(
      got.map((c) => c.token),
      want!.ids,
    );
    for (const [i, c] of got.entries()) assert.ok(Math.abs(c.score - want!.scores[i]!) < 1e-5);
    assert.equal(got[0]!.token_str.trim(), 'south', 'a trained model fills the counting sequence');
    assert.equal(got[0]!.sequence, 'in out north east south west up down left right in out');
  });

  it('answers a list per input, and a list per mask for several masks', async () => {
    const res = await post('/v1/models/mlm/fill-mask', {
      inputs: ['up down <mask> right', 'north <mask> south <mask> up'],
      parameters: { top_k: 3 },
    });
    assert.equal(res.status, 200);
    const [first, second] = res.json as [Candidate[], Candidate[][]];
    assert.equal(first!.length, 3);
    assert.equal(second!.length, 2);
    const want = await reference('north <mask> south <mask> up', 3);
    assert.deepEqual(
      second!.map((m) => m.map((c) => c.token)),
      want.map((w) => w.ids),
    );
  });

  it('gives the same answers batched (padded with other lengths) as alone', async () => {
    const texts = Array.from(
      { length: 12 },
      (_, i) =>
        `${['north', 'east', 'south', 'west', 'up', 'down'].slice(0, 2 + (i % 4)).join(' ')} <mask> in`,
    );
    const alone = [];
    for (const t of texts) alone.push((await post('/v1/models/mlm/fill-mask', { inputs: t })).json);
    const before = await get('/metrics');
    const together = await Promise.all(texts.map((t) => post('/v1/models/mlm/fill-mask', { inputs: t })));
    for (const [i, r] of together.entries()) {
      const a = alone[i] as Candidate[];
      const b = r.json as Candidate[];
      assert.deepEqual(
        b.map((c) => c.token),
        a.map((c) => c.token),
      );
      for (const [j, c] of b.entries()) assert.ok(Math.abs(c.score - a[j]!.score) < 1e-4);
    }
    const sumCount = (text: string) => {
      const sum = Number(/tlc_batch_size_sum\{[^}]*variant="fp32"[^}]*\} (\S+)/.exec(text)![1]);
      const count = Number(/tlc_batch_size_count\{[^}]*variant="fp32"[^}]*\} (\S+)/.exec(text)![1]);
      return { sum, count };
    };
    const b0 = sumCount(before.text);
    const b1 = sumCount((await get('/metrics')).text);
    assert.equal(b1.count - b0.count, 12);
    assert.ok((b1.sum - b0.sum) / (b1.count - b0.count) > 2, 'concurrent requests share batches');
  });

  it('chooses variants by name and by latency budget', async () => {
    const text = 'in out north east <mask> west up down left right in out';
    const int8 = await post('/v1/models/mlm/fill-mask?variant=int8', { inputs: text });
    assert.equal(int8.headers.get('x-tlc-variant'), 'int8');
    assert.equal((int8.json as Candidate[])[0]!.token_str.trim(), 'south');
    const roomy = await post('/v1/models/mlm/fill-mask?variant=auto&latency_budget_ms=100000', {
      inputs: text,
    });
    assert.equal(roomy.headers.get('x-tlc-variant'), 'fp32', 'the most accurate variant when all fit');
    const tight = await post('/v1/models/mlm/fill-mask?variant=auto&latency_budget_ms=0', { inputs: text });
    assert.ok(['fp32', 'int8'].includes(tight.headers.get('x-tlc-variant')!), 'the fastest when none fits');
  });
});

describe('server: errors from the catalog', () => {
  const cases: [string, () => Promise<{ status: number; json: unknown }>, number, string][] = [
    [
      'unknown model',
      () => post('/v1/models/nope/fill-mask', { inputs: 'a <mask>' }),
      404,
      'MODEL_NOT_FOUND',
    ],
    [
      'path traversal',
      () => post('/v1/models/..%2Fetc/fill-mask', { inputs: 'a <mask>' }),
      400,
      'REQUEST_INVALID',
    ],
    [
      'broken model',
      () => post('/v1/models/broken/fill-mask', { inputs: 'a <mask>' }),
      503,
      'MODEL_NOT_READY',
    ],
    [
      'unknown variant',
      () => post('/v1/models/mlm/fill-mask?variant=q3', { inputs: 'a <mask>' }),
      404,
      'VARIANT_NOT_FOUND',
    ],
    ['wrong task', () => post('/v1/models/mlm/translate', { inputs: 'north' }), 400, 'TASK_MISMATCH'],
    [
      'bad parameter',
      () => post('/v1/models/mlm/fill-mask', { inputs: 'a <mask>', parameters: { top_k: 0 } }),
      400,
      'REQUEST_INVALID',
    ],
    [
      'unknown field',
      () => post('/v1/models/mlm/fill-mask', { inputs: 'a <mask>', extra: 1 }),
      400,
      'REQUEST_INVALID',
    ],
    ['missing inputs', () => post('/v1/models/mlm/fill-mask', { parameters: {} }), 400, 'REQUEST_INVALID'],
    ['not JSON', () => post('/v1/models/mlm/fill-mask', '{"inputs": '), 400, 'REQUEST_INVALID'],
    ['no mask', () => post('/v1/models/mlm/fill-mask', { inputs: 'north east' }), 422, 'INPUT_INVALID'],
    [
      'too many inputs',
      () => post('/v1/models/mlm/fill-mask', { inputs: Array(65).fill('a <mask>') }),
      413,
      'INPUT_TOO_LARGE',
    ],
    [
      'too many tokens',
      () => post('/v1/models/mlm/fill-mask', { inputs: `${'north '.repeat(40)}<mask>` }),
      413,
      'INPUT_TOO_LARGE',
    ],
    [
      'body too large',
      () => post('/v1/models/mlm/fill-mask', { inputs: 'x'.repeat(2 << 20) }),
      413,
      'INPUT_TOO_LARGE',
    ],
    [
      'admin without key',
      () => post('/v2/repository/models/mlm/load', {}, { authorization: '' }),
      401,
      'UNAUTHORIZED',
    ],
    [
      'inference without key',
      async () => {
        const res = await fetch(`${server.url}/v1/models/mlm/fill-mask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
          body: JSON.stringify({ inputs: 'a <mask>' }),
        });
        return { status: res.status, json: await res.json() };
      },
      401,
      'UNAUTHORIZED',
    ],
    ['unknown route', () => get('/v3/nothing'), 404, 'ROUTE_NOT_FOUND'],
    [
      'bad v2 tensor',
      () =>
        post('/v2/models/mlm/infer', {
          inputs: [{ name: 'input_ids', shape: [1, 3], datatype: 'INT64', data: [1, 2] }],
        }),
      422,
      'INPUT_INVALID',
    ],
  ];
  for (const [name, call, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const { status: got, json } = await call();
      assert.equal(got, status, JSON.stringify(json));
      assert.equal(errorCode(json), code);
      assert.equal(typeof (json as { error: { message: string } }).error.message, 'string');
    });
  }
});

describe('server: KServe v2', () => {
  it('describes the server and the model', async () => {
    const meta = (await get('/v2')).json as { name: string; extensions: string[] };
    assert.equal(meta.name, 'tlc');
    const model = (await get('/v2/models/mlm')).json as {
      name: string;
      versions: string[];
      inputs: { name: string }[];
    };
    assert.equal(model.name, 'mlm');
    assert.deepEqual(model.versions, ['fp32', 'int8']);
    assert.ok(model.inputs.some((i) => i.name === 'text'));
    assert.ok(model.inputs.some((i) => i.name === 'input_ids'));
  });

  it('runs text as BYTES and tensors as the graph takes them, with the same answer', async () => {
    const text = await post('/v2/models/mlm/infer', {
      id: 'r1',
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['north east <mask> west up'] }],
      parameters: { top_k: 3 },
    });
    assert.equal(text.status, 200, JSON.stringify(text.json));
    const body = text.json as { id: string; model_name: string; outputs: { name: string; data: string[] }[] };
    assert.equal(body.id, 'r1');
    const candidates = JSON.parse(body.outputs[0]!.data[0]!) as Candidate[];
    assert.equal(candidates.length, 3);

    const tokenizer = await Tokenizer.fromFile(join(models, 'mlm', 'tokenizer.json'));
    const ids = tokenizer.encode('north east <mask> west up');
    const row = ids.indexOf(tokenizer.specialIds.mask!);
    const raw = await post('/v2/models/mlm/versions/fp32/infer', {
      inputs: [
        { name: 'input_ids', shape: [1, ids.length], datatype: 'INT64', data: ids },
        { name: 'attention_mask', shape: [1, ids.length], datatype: 'INT64', data: ids.map(() => 1) },
        { name: 'mask_rows', shape: [1], datatype: 'INT64', data: [row] },
        { name: 'top_k', shape: [1], datatype: 'INT64', data: [3] },
      ],
    });
    assert.equal(raw.status, 200, JSON.stringify(raw.json));
    const outputs = (
      raw.json as { outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] }
    ).outputs;
    const tokenIds = outputs.find((o) => o.name === 'token_ids')!;
    assert.equal(tokenIds.datatype, 'INT64');
    assert.deepEqual(tokenIds.shape, [1, 3]);
    assert.deepEqual(
      tokenIds.data,
      candidates.map((c) => c.token),
    );
  });
});

describe('server: metrics', () => {
  it('exposes every series per loaded variant, and counts requests', async () => {
    const text = (await get('/metrics')).text;
    for (const name of [
      'tlc_request_duration_seconds',
      'tlc_queue_duration_seconds',
      'tlc_tokenize_duration_seconds',
      'tlc_inference_duration_seconds',
      'tlc_batch_size',
    ]) {
      assert.match(
        text,
        new RegExp(`${name}_bucket\\{[^}]*model="mlm",variant="int8",task="fill-mask",device="cpu"`),
      );
    }
    const count = () =>
      get('/metrics').then((r) =>
        Number(
          /tlc_requests_total\{model="mlm",variant="int8",task="fill-mask",device="cpu",status="200"\} (\S+)/.exec(
            r.text,
          )?.[1] ?? 0,
        ),
      );
    const c0 = await count();
    await post('/v1/models/mlm/fill-mask?variant=int8', { inputs: 'up <mask>' });
    assert.equal(await count(), c0 + 1);
    assert.match(text, /process_cpu_seconds_total/);
  });
});
