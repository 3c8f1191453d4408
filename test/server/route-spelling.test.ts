/**
 * One table routes and validates: every operation of openapi.yaml (read from the file), spelled as documented
 * and with a trailing slash or an upper-case letter, sent with one invalid parameter (or without the body it
 * needs), is answered 4xx with the error shape — 400 REQUEST_INVALID as documented, 404 ROUTE_NOT_FOUND
 * otherwise, never a handler that skipped the contract (a trailing slash once reached fill-mask with top_k
 * "abc": 500). Also: the key is checked before a malformed %-escape in an admin path, and request lines that
 * are not HTTP/1.x are refused with the error shape.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createApp, routeTable } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { type OpenApiDocument, OpenApiValidator } from '../../src/server/openapi.js';
import { operationKey, routeKey } from '../../src/server/routes/route.js';
import { openapiPath, type RunningServer, startServer } from '../../src/server/server.js';
import { BERT_CONFIG, TORCH_BERT, writeBertTokenizer, writeForeignFolder } from '../helpers/foreign.js';
import { TINY_SEQ2SEQ, writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-route-spelling-'));
const models = join(dir, 'models');
const KEY = 'spelling-key';
let server: RunningServer;

const yamlText = readFileSync(openapiPath(), 'utf8');
const document = parse(yamlText) as OpenApiDocument;

interface Documented {
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  readonly hasBody: boolean;
  readonly query: readonly string[];
}

/** Every operation of openapi.yaml, with its query parameters (`$ref`s resolved by name). */
const DOCUMENTED: readonly Documented[] = Object.entries(document.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    method: method.toUpperCase(),
    template,
    operationId: op.operationId,
    hasBody: op.requestBody?.required === true,
    query: (op.parameters ?? [])
      .map((p) => (p.$ref === undefined ? p : document.components.parameters?.[p.$ref.split('/').at(-1)!]))
      .filter((p) => p?.in === 'query')
      .map((p) => p!.name),
  })),
);

/** Bodies that break each body schema at one field; the issue's own examples first. */
const BAD_BODIES: Readonly<Record<string, readonly unknown[]>> = {
  fillMask: [
    { inputs: 'the [MASK] of time', parameters: { top_k: 'abc' } },
    { inputs: 'the [MASK] of time', parameters: { top_k: 9000 } },
    { inputs: 'the [MASK] of time', parameters: { top_k: -1 } },
    { inputs: 5 },
  ],
  translate: [{ inputs: 'the of and', parameters: { num_beams: 64 } }, { inputs: 5 }],
  modelInfer: [{ inputs: [] }, { inputs: [{ name: 'text', shape: [1], datatype: 'STRING', data: ['x'] }] }],
  modelVersionInfer: [{ inputs: [] }],
};

interface Case {
  readonly label: string;
  readonly path: string;
  readonly query?: string;
  /** Undefined: no body at all. */
  readonly body?: unknown;
}

/** The path with good parameters: the model that does the operation's task. */
function goodPath(op: Documented): string {
  const model = op.operationId === 'translate' ? 'marian' : 'bert';
  return op.template.replace('{model}', model).replace('{version}', 'fp32');
}

/** One invalid part per case: a missing or bad body, a path parameter off its pattern, a bad query value. */
function invalidCases(op: Documented): Case[] {
  const path = goodPath(op);
  const cases: Case[] = [];
  if (op.hasBody) {
    cases.push({ label: 'no body', path });
    for (const body of BAD_BODIES[op.operationId] ?? [{}])
      cases.push({ label: `body ${JSON.stringify(body)}`, path, body });
  }
  const anyBody = op.hasBody ? (BAD_BODIES[op.operationId]?.[0] ?? {}) : undefined;
  if (op.template.includes('{model}'))
    cases.push({
      label: 'model -bad',
      path: path.replace('/bert', '/-bad').replace('/marian', '/-bad'),
      body: anyBody,
    });
  if (op.template.includes('{version}'))
    cases.push({ label: 'version with a space', path: path.replace('/fp32/', '/fp%2032/'), body: anyBody });
  for (const name of op.query)
    cases.push({ label: `query ${name}`, path, query: `${name}=no%20such!`, body: anyBody });
  return cases;
}

/** The path with a trailing slash, and with an upper-case letter in its first and in its last literal segment. */
function spellings(path: string, template: string): { label: string; path: string }[] {
  const out = [{ label: 'trailing slash', path: `${path}/` }];
  const literal = template.split('/').map((part) => part !== '' && !part.startsWith('{'));
  const segments = path.split('/');
  const upperAt = (index: number) =>
    segments.map((s, i) => (i === index ? s.replace(/[a-z]/, (c) => c.toUpperCase()) : s)).join('/');
  const first = literal.indexOf(true);
  const last = literal.lastIndexOf(true);
  if (first >= 0) out.push({ label: 'upper-case first segment', path: upperAt(first) });
  if (last > first) out.push({ label: 'upper-case last segment', path: upperAt(last) });
  return out.filter((s) => s.path !== path);
}

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

async function send(method: string, path: string, body: unknown, auth = true): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(auth && { authorization: `Bearer ${KEY}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Why the answer is not a 4xx with the error shape (and `code`, if given); undefined when it is. */
function errorProblem(answer: Answer, what: string, code?: string): string | undefined {
  const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const ok =
    answer.status >= 400 &&
    answer.status < 500 &&
    typeof error?.code === 'string' &&
    typeof error.message === 'string' &&
    (code === undefined || error.code === code);
  return ok ? undefined : `${what}: ${answer.status} ${JSON.stringify(answer.json).slice(0, 200)}`;
}

function assertError(answer: Answer, what: string, code?: string): void {
  assert.equal(errorProblem(answer, what, code), undefined);
}

before(async () => {
  mkdirSync(join(models, 'bert'), { recursive: true });
  writeForeignFolder(join(models, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  const marian = join(models, 'marian');
  mkdirSync(marian);
  writeSeq2SeqGraphs(marian, 'merged');
  writeBertTokenizer(marian, TINY_SEQ2SEQ.vocabSize);
  writeFileSync(
    join(marian, 'config.json'),
    JSON.stringify({
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
    }),
  );
  server = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    apiKey: KEY,
    log: () => {},
  });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one routing and validation table', () => {
  it('reads v1 and v2 operations from openapi.yaml, and the route table answers each of them', () => {
    assert.ok(DOCUMENTED.some((op) => op.template === '/v1/models/{model}/fill-mask'));
    assert.ok(DOCUMENTED.some((op) => op.template === '/v2/models/{model}/versions/{version}/infer'));
    const routes = new Set(routeTable(new OpenApiValidator(document), yamlText).map(routeKey));
    for (const op of DOCUMENTED)
      assert.ok(routes.has(operationKey(op.method, op.template)), `${op.method} ${op.template} has no route`);
  });

  it('refuses to start a route table with a route openapi.yaml does not document', () => {
    const { '/metrics': _dropped, ...paths } = document.paths;
    const partial = new OpenApiValidator({ ...document, paths });
    assert.throws(
      () => createApp({} as ServerContext, partial, yamlText, () => {}),
      /route GET \/metrics has no operation in openapi\.yaml/,
    );
  });

  it('answers each invalid request 400 REQUEST_INVALID as documented, and 404 in every other spelling', async () => {
    let sent = 0;
    const problems: string[] = [];
    const check = async (method: string, path: string, body: unknown, what: string, code?: string) => {
      const problem = errorProblem(await send(method, path, body), what, code);
      if (problem !== undefined) problems.push(problem);
      sent += 1;
    };
    for (const op of DOCUMENTED) {
      const cases = invalidCases(op);
      for (const c of cases) {
        const query = c.query === undefined ? '' : `?${c.query}`;
        const what = `${op.method} ${c.path}${query} (${c.label})`;
        await check(op.method, `${c.path}${query}`, c.body, what, 'REQUEST_INVALID');
        for (const s of spellings(c.path, op.template))
          await check(op.method, `${s.path}${query}`, c.body, `${what}, ${s.label}`, 'ROUTE_NOT_FOUND');
      }
      // Operations without parameters: the other spellings alone.
      if (cases.length === 0)
        for (const s of spellings(goodPath(op), op.template))
          await check(op.method, s.path, undefined, `${op.method} ${s.path} (${s.label})`, 'ROUTE_NOT_FOUND');
    }
    assert.deepEqual(problems, []);
    assert.ok(sent >= 3 * DOCUMENTED.length, `${sent} requests`);
  });

  it('still answers the documented spellings (and HEAD as GET)', async () => {
    const fill = await send('POST', '/v1/models/bert/fill-mask', { inputs: 'the [MASK] of time' });
    assert.equal(fill.status, 200, JSON.stringify(fill.json));
    const translate = await send('POST', '/v1/models/marian/translate', { inputs: 'the of and' });
    assert.equal(translate.status, 200, JSON.stringify(translate.json));
    for (const path of ['/v1/models', '/v2/health/live', '/v2/models/bert', '/openapi.yaml'])
      assert.equal((await send('GET', path, undefined)).status, 200, path);
    const head = await fetch(`${server.url}/v1/models`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await send('HEAD', '/v1/models/', undefined)).status, 404);
  });
});

describe('access before the path', () => {
  it('answers a malformed %-escape in an admin path 401 without the key, 400 with it', async () => {
    for (const path of ['/v2/repository/models/%zz/load', '/v2/repository/models/bad%E0%A4%A/unload']) {
      assertError(await send('POST', path, undefined, false), `${path} without a key`, 'UNAUTHORIZED');
      const keyed = await send('POST', path, undefined);
      assertError(keyed, `${path} with the key`, 'REQUEST_INVALID');
      assert.match(JSON.stringify(keyed.json), /malformed %-escape/);
    }
    assertError(await send('GET', '/v2/models/%zz', undefined, false), 'public route', 'REQUEST_INVALID');
  });
});

/** Writes `text` to the server over TCP and reads until it closes the connection (or 5 s pass). */
function rawExchange(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(text));
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close after ${JSON.stringify(text)}; got ${JSON.stringify(out)}`));
    }, 5000);
    socket.on('data', (chunk) => {
      out += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('HTTP versions', () => {
  const lines = {
    'HTTP/2.0': 'GET /v2/health/live HTTP/2.0\r\nHost: x\r\n\r\n',
    'HTTP/0.9 (no version)': 'GET /v2/health/live\r\n\r\n',
    'HTTP/0.9': 'GET /v2/health/live HTTP/0.9\r\n\r\n',
    'HTTP/2 preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'HTTP/2.0 POST with a body': `POST /v1/models/bert/fill-mask HTTP/2.0\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 32\r\n\r\n{"inputs":"the [MASK] of time"}\n`,
  };
  for (const [name, line] of Object.entries(lines))
    it(`refuses ${name} with the error shape and closes`, async () => {
      const answer = await rawExchange(line);
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
      assert.ok(status >= 400 && status < 500, answer);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
        error: { code: string; message: string };
      };
      assert.equal(body.error.code, 'REQUEST_INVALID', answer);
      assert.equal(typeof body.error.message, 'string');
    });

  it('answers HTTP/1.0 and HTTP/1.1', async () => {
    for (const version of ['1.0', '1.1']) {
      const answer = await rawExchange(
        `GET /v2/health/live HTTP/${version}\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.1 200 /, version);
    }
  });
});
