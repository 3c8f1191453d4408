/**
 * A sentence-transformers folder built from a PyTorch BERT export (test/fixtures/torch/st_bert: model.onnx with
 * last_hidden_state, config.json BertModel, modules.json with Pooling and Normalize, 1_Pooling/config.json mean):
 * detected as feature-extraction; pooled in the worker's code equal to PyTorch's sentence embeddings (mean over
 * unpadded tokens, normalized) within 1e-5 for a padded batch, and so are cls, max and mean-sqrt-len; compressed
 * with int8 and scored for retrieval against fp32 on 1,000 sentences (cosine ≥ 0.99, recall@10 ≥ 0.9, in tlc.json); served at
 * `/v1/models/{model}/feature-extraction` as one unit vector per text, equal to the worker's pooling of the same
 * tokens, and at `/v1/embeddings` to the official `openai` client unchanged (its default base64, float,
 * dimensions, token-id inputs, usage); the same graph without its pooling modules fails at load naming the files to
 * add.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { CompressReport } from '../../src/compress/report.js';
import { cosine } from '../../src/console/vector.js';
import { readForeignModel } from '../../src/model-folder/foreign.js';
import { DataType } from '../../src/onnx/index.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Node, ValueInfo } from '../../src/onnx/ir.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import type { RunningServer } from '../../src/server/server.js';
import { type PoolingMode, readPooling } from '../../src/tasks/feature-extraction/pooling.js';
import { retrievalAgreement } from '../../src/tasks/feature-extraction/score.js';
import { embedBatch, embedRequest } from '../../src/tasks/feature-extraction/worker.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { Rng } from '../../src/util/rng.js';
import { BERT_TEXTS, writeForeignFolder } from '../helpers/foreign.js';
import { postJson, startTestServer } from '../helpers/test-server.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'torch', 'st_bert');
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  input_ids: number[][];
  attention_mask: number[][];
  sentence_embedding: number[][];
  pooled: Record<'mean' | 'cls' | 'max' | 'mean_sqrt_len', number[][]>;
};
const root = mkdtempSync(join(tmpdir(), 'tlc-feature-extraction-'));
const models = join(root, 'models');
const source = join(root, 'source');
const TEXTS = BERT_TEXTS;
let report: CompressReport;
let server: RunningServer;

/** The fixture's graph with its sentence-transformers files (and a tokenizer) in Optimum's layout. */
function stFolder(dir: string, modules = true): void {
  writeForeignFolder(dir, join(FIXTURE, 'model.onnx'), { tokenizer: 1000, place: 'onnx' });
  cpSync(join(FIXTURE, 'config.json'), join(dir, 'config.json'));
  if (!modules) return;
  cpSync(join(FIXTURE, 'modules.json'), join(dir, 'modules.json'));
  cpSync(join(FIXTURE, '1_Pooling'), join(dir, '1_Pooling'), { recursive: true });
}

before(async () => {
  mkdirSync(models);
  stFolder(source);
  // 1,000 sentences of 5–24 tokens of the test tokenizer's vocabulary (seeded).
  const rng = Rng.seeded(7);
  const lines = Array.from({ length: 1000 }, () =>
    Array.from({ length: 5 + rng.int(20) }, () => `w${rng.int(800)}`).join(' '),
  );
  const sentences = join(root, 'sentences.txt');
  writeFileSync(sentences, `${lines.join('\n')}\n`);
  report = await compress(source, join(models, 'st'), {
    recipes: [parseRecipe('int8')],
    evalData: sentences,
    threads: 1,
    batch: 2,
    sequence: 16,
    latency: false,
  });
  stFolder(join(models, 'bare'), false);
  // A bare export (no sentence-transformers modules) compressed with --pooling cls.
  stFolder(join(root, 'bare-source'), false);
  await compress(join(root, 'bare-source'), join(models, 'cls'), {
    recipes: [parseRecipe('int8')],
    pooling: 'cls',
    threads: 1,
    batch: 2,
    sequence: 16,
    latency: false,
  });
  // A graph with its pooling inside: sentence_embedding = the mean of last_hidden_state over the sequence.
  const pooled = join(models, 'inside');
  stFolder(pooled, false);
  const model = loadModel(join(pooled, 'onnx', 'model.onnx'));
  const mean: Node = {
    name: 'pool_inside',
    opType: 'ReduceMean',
    domain: '',
    inputs: ['last_hidden_state'],
    outputs: ['sentence_embedding'],
    attributes: { axes: { type: 'INTS', value: [1n] }, keepdims: { type: 'INT', value: 0n } },
  };
  const output: ValueInfo = {
    name: 'sentence_embedding',
    type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch_size', 64] },
  };
  saveModel(
    {
      ...model,
      graph: {
        ...model.graph,
        nodes: [...model.graph.nodes, mean],
        outputs: [output],
      },
    },
    join(pooled, 'onnx', 'model.onnx'),
  );
  server = await startTestServer(models);
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The fixture's padded batch through the fp32 graph and `modes` pooling in the worker's code. */
async function pooled(modes: readonly PoolingMode[], normalize: boolean): Promise<number[][]> {
  const session = await createSession(join(source, 'onnx', 'model.onnx'), { threads: 1 });
  try {
    const rows = expected.input_ids.map((ids, r) =>
      Int32Array.from(ids.slice(0, expected.attention_mask[r]!.filter((m) => m === 1).length)),
    );
    const out = await embedBatch(session, embedRequest(rows, 0, { modes, normalize }));
    return rows.map((_, k) => Array.from(out.embeddings.slice(k * out.width, (k + 1) * out.width)));
  } finally {
    await session.release();
  }
}

describe('a sentence-transformers BERT folder', () => {
  it('is feature-extraction, with mean pooling and Normalize read from its modules', () => {
    assert.equal(readForeignModel(source).tlc.task, 'feature-extraction');
    assert.deepEqual(readPooling(source), { modes: ['mean'], normalize: true });
    assert.equal(readPooling(join(models, 'bare')), undefined);
  });

  it('pools as sentence-transformers does: PyTorch’s embeddings within 1e-5 on a padded batch', async () => {
    const mean = await pooled(['mean'], true);
    for (const [r, row] of mean.entries()) {
      const want = expected.sentence_embedding[r]!;
      assert.ok(1 - cosine(row, want) < 1e-5, `row ${r}: cosine ${cosine(row, want)}`);
      for (const [j, v] of row.entries()) assert.ok(Math.abs(v - want[j]!) < 1e-5, `row ${r}[${j}]`);
    }
    for (const mode of ['cls', 'max', 'mean_sqrt_len'] as const) {
      const got = await pooled([mode], false);
      for (const [r, row] of got.entries())
        for (const [j, v] of row.entries())
          assert.ok(Math.abs(v - expected.pooled[mode][r]![j]!) < 1e-4, `${mode} row ${r}[${j}]`);
    }
  });

  it('compresses with int8: cosine ≥ 0.99 and recall@10 ≥ 0.9 against fp32 on 1,000 sentences, in tlc.json', () => {
    const fp32 = report.variants.find((v) => v.name === 'fp32')!;
    const int8 = report.variants.find((v) => v.name === 'int8')!;
    assert.ok(Math.abs(fp32.embedding_cosine! - 1) < 1e-6, JSON.stringify(fp32));
    assert.equal(fp32.recall_at_10, 1);
    assert.ok(int8.embedding_cosine! >= 0.99 && int8.embedding_cosine! <= 1 + 1e-6, JSON.stringify(int8));
    assert.ok(int8.recall_at_10! >= 0.9, JSON.stringify(int8));
    const tlc = JSON.parse(readFileSync(join(models, 'st', 'tlc.json'), 'utf8')) as {
      variants: { name: string; metrics?: Record<string, number> }[];
    };
    const saved = tlc.variants.find((v) => v.name === 'int8')!.metrics!;
    assert.equal(saved.embedding_cosine, int8.embedding_cosine);
    assert.equal(saved.recall_at_10, int8.recall_at_10);
  });

  it('serves one unit vector per text, the worker’s pooling of the same tokens', async () => {
    const tokenizer = await Tokenizer.fromFile(source);
    const one = await postJson(server, '/v1/models/st/feature-extraction?variant=fp32', { inputs: TEXTS[0] });
    assert.equal(one.status, 200, JSON.stringify(one.json));
    const many = await postJson(server, '/v1/models/st/feature-extraction?variant=fp32', { inputs: TEXTS });
    const vectors = many.json as number[][];
    assert.equal(vectors.length, TEXTS.length);
    assert.deepEqual(one.json, vectors[0]);
    const session = await createSession(join(source, 'onnx', 'model.onnx'), { threads: 1 });
    try {
      for (const [k, text] of TEXTS.entries()) {
        const r = await embedBatch(
          session,
          embedRequest([Int32Array.from(tokenizer.encode(text))], 0, { modes: ['mean'], normalize: true }),
        );
        assert.equal(vectors[k]!.length, 64);
        assert.ok(Math.abs(Math.hypot(...vectors[k]!) - 1) < 1e-5, 'unit length');
        for (const [j, v] of vectors[k]!.entries()) assert.ok(Math.abs(v - r.embeddings[j]!) < 1e-5, text);
      }
    } finally {
      await session.release();
    }
  });

  it('answers /v1/embeddings to the official openai client unchanged (base64 by default, float, dimensions)', async () => {
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ours = (await postJson(server, '/v1/models/st/feature-extraction?variant=fp32', { inputs: TEXTS }))
      .json as number[][];
    const tokenizer = await Tokenizer.fromFile(source);
    const tokens = TEXTS.reduce((s, t) => s + tokenizer.encode(t).length, 0);
    const theirs = await client.embeddings.create(
      { model: 'st', input: [...TEXTS] },
      { query: { variant: 'fp32' } },
    );
    assert.equal(theirs.object, 'list');
    assert.equal(theirs.model, 'st');
    assert.equal(theirs.usage.prompt_tokens, tokens);
    assert.deepEqual(
      theirs.data.map((d) => d.index),
      TEXTS.map((_, i) => i),
    );
    for (const [i, d] of theirs.data.entries())
      for (const [j, v] of d.embedding.entries()) assert.ok(Math.abs(v - ours[i]![j]!) < 1e-6, `${i}[${j}]`);
    const float = await client.embeddings.create(
      { model: 'st', input: TEXTS[0]!, encoding_format: 'float', dimensions: 16 },
      { query: { variant: 'fp32' } },
    );
    const head = ours[0]!.slice(0, 16);
    const norm = Math.hypot(...head);
    assert.equal(float.data[0]!.embedding.length, 16);
    for (const [j, v] of float.data[0]!.embedding.entries()) assert.ok(Math.abs(v - head[j]! / norm) < 1e-6);
    // Token ids are the model's own; too many dimensions and an unknown model are refused with the reason.
    const ids = tokenizer.encode(TEXTS[1]!);
    const byIds = await client.embeddings.create(
      { model: 'st', input: [ids], encoding_format: 'float' },
      { query: { variant: 'fp32' } },
    );
    for (const [j, v] of byIds.data[0]!.embedding.entries()) assert.ok(Math.abs(v - ours[1]![j]!) < 1e-6);
    await assert.rejects(
      client.embeddings.create({ model: 'st', input: 'x', dimensions: 65 }),
      /dimensions 65/,
    );
    await assert.rejects(client.embeddings.create({ model: 'nope', input: 'x' }), /nope/);
  });

  it('refuses at load a graph of token states whose folder names no pooling, naming the files to add', async () => {
    const res = await fetch(`${server.url}/v1/models`);
    const rows = ((await res.json()) as { models: { name: string; status: string; error?: string }[] })
      .models;
    const bare = rows.find((m) => m.name === 'bare')!;
    assert.equal(bare.status, 'failed', JSON.stringify(bare));
    assert.match(bare.error ?? '', /modules\.json and 1_Pooling\/config\.json/);
    assert.match(bare.error ?? '', /export-and-compress --pooling mean/);
  });

  it('serves a bare export compressed with --pooling cls; refuses --pooling where modules name one', async () => {
    assert.deepEqual(readPooling(join(models, 'cls')), { modes: ['cls'], normalize: false });
    const tokenizer = await Tokenizer.fromFile(source);
    const res = await postJson(server, '/v1/models/cls/feature-extraction?variant=fp32', {
      inputs: TEXTS[2],
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const session = await createSession(join(source, 'onnx', 'model.onnx'), { threads: 1 });
    try {
      const r = await embedBatch(
        session,
        embedRequest([Int32Array.from(tokenizer.encode(TEXTS[2]!))], 0, { modes: ['cls'], normalize: false }),
      );
      for (const [j, v] of (res.json as number[]).entries()) assert.ok(Math.abs(v - r.embeddings[j]!) < 1e-5);
    } finally {
      await session.release();
    }
    await assert.rejects(
      compress(source, join(root, 'again'), { recipes: [], pooling: 'mean', latency: false }),
      {
        code: 'CLI_USAGE',
        message: /modules\.json names the model's pooling already/,
      },
    );
    await assert.rejects(
      compress(join(root, 'bare-source'), join(root, 'again2'), {
        recipes: [],
        pooling: 'median',
        latency: false,
      }),
      { code: 'CLI_USAGE', message: /--pooling must be one of cls, max, mean, mean_sqrt_len/ },
    );
  });

  it('uses a graph’s own sentence_embedding as it is; answers KServe v2 text requests with the same vectors', async () => {
    const tokenizer = await Tokenizer.fromFile(source);
    const ids = tokenizer.encode(TEXTS[3]!);
    const n = ids.length;
    const session = await createSession(join(models, 'inside', 'onnx', 'model.onnx'), { threads: 1 });
    let want: Float32Array;
    try {
      const out = await runSession(session, {
        input_ids: ortTensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
        attention_mask: ortTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        token_type_ids: ortTensor('int64', new BigInt64Array(n), [1, n]),
      });
      want = out.sentence_embedding!.data as Float32Array;
    } finally {
      await session.release();
    }
    const res = await postJson(server, '/v1/models/inside/feature-extraction', { inputs: TEXTS[3] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const got = res.json as number[];
    assert.equal(got.length, 64);
    for (const [j, v] of got.entries()) assert.ok(Math.abs(v - want[j]!) < 1e-5, `[${j}]`);
    assert.ok(
      Math.abs(Math.hypot(...got) - 1) > 1e-3,
      'not normalized: no Normalize module, the graph’s own vector',
    );
    const v2 = await postJson(server, '/v2/models/st/infer', {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: [TEXTS[0], TEXTS[1]] }],
    });
    assert.equal(v2.status, 200, JSON.stringify(v2.json));
    const out = (v2.json as { outputs: { name: string; data: string[] }[] }).outputs[0]!;
    assert.equal(out.name, 'embedding');
    const v1 = (await postJson(server, '/v1/models/st/feature-extraction', { inputs: [TEXTS[0], TEXTS[1]] }))
      .json as number[][];
    assert.deepEqual(
      out.data.map((d) => JSON.parse(d) as number[]),
      v1,
    );
  });

  it('scores retrieval agreement: identical rows agree fully, a shuffle does not', () => {
    const rows = expected.sentence_embedding.map((r) => Float32Array.from(r));
    const same = retrievalAgreement(rows, rows, 1);
    assert.ok(Math.abs(same.cosine - 1) < 1e-6);
    assert.equal(same.recall, 1);
    const swapped = retrievalAgreement(rows, [rows[1]!, rows[0]!, rows[2]!], 1);
    assert.ok(swapped.cosine < 1);
  });
});
