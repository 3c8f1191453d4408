/**
 * A PyTorch BERT sequence classifier with config.json (three labels in id2label; test/fixtures/torch/
 * bert_classifier) is detected as text-classification, compresses with int8, prune:0.5+int8 and
 * heads:0.25+ffn:0.5+int8, and serves its own label names: fp32 in the shape transformers.js's pipeline gives,
 * with scores equal (1e-5) to ONNX Runtime's logits on the source graph through softmax, sigmoid or none; labelled
 * `--eval-data` scores accuracy and macro-F1 against a count by hand. The same graph without config.json is
 * still a classifier (logits of rank 2), never fill-mask.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { CompressReport } from '../../src/compress/report.js';
import { classificationScores } from '../../src/eval/classification.js';
import { readForeignModel } from '../../src/model-folder/foreign.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import type { RunningServer } from '../../src/server/server.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { BERT_TEXTS, writeForeignFolder } from '../helpers/foreign.js';
import { postJson, startTestServer } from '../helpers/test-server.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'torch', 'bert_classifier');
const LABELS = ['negative', 'neutral', 'positive'];
const root = mkdtempSync(join(tmpdir(), 'tlc-text-classification-'));
const models = join(root, 'models');
const source = join(root, 'source');
const RECIPES = ['int8', 'prune:0.5+int8', 'heads:0.25+ffn:0.5+int8'];
const TEXTS = BERT_TEXTS;
let server: RunningServer;
let report: CompressReport;
let tokenizer: Tokenizer;

before(async () => {
  mkdirSync(models);
  // Optimum's layout (onnx/model.onnx), as transformers.js reads it.
  writeForeignFolder(source, join(FIXTURE, 'model.onnx'), { tokenizer: 1000, place: 'onnx' });
  copyFileSync(join(FIXTURE, 'config.json'), join(source, 'config.json'));
  report = await compress(source, join(models, 'cls'), {
    recipes: RECIPES.map(parseRecipe),
    threads: 1,
    batch: 2,
    sequence: 16,
    latency: false,
  });
  tokenizer = await Tokenizer.fromFile(source);
  server = await startTestServer(models);
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const post = (path: string, body: unknown) => postJson(server, path, body);

/** ONNX Runtime's logits on the source fp32 graph for one text, token_type_ids fed zeros by hand. */
async function logitsOf(text: string): Promise<number[]> {
  const ids = tokenizer.encode(text);
  const n = ids.length;
  const session = await createSession(join(source, 'onnx', 'model.onnx'), { threads: 1 });
  try {
    const out = await runSession(session, {
      input_ids: ortTensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: ortTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: ortTensor('int64', new BigInt64Array(n), [1, n]),
    });
    return [...(out.logits!.data as Float32Array)];
  } finally {
    await session.release();
  }
}

const softmax = (x: number[]) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const sigmoid = (x: number[]) => x.map((v) => 1 / (1 + Math.exp(-v)));

interface LabelScore {
  label: string;
  score: number;
}

/** The expected answer: labels by score, highest first, as `fn` of the reference logits. */
function expectedRanking(logits: number[], fn: (x: number[]) => number[]): LabelScore[] {
  const scores = fn(logits);
  return [...scores.keys()]
    .sort((a, b) => scores[b]! - scores[a]!)
    .map((i) => ({ label: LABELS[i]!, score: scores[i]! }));
}

function assertClose(got: LabelScore[], want: LabelScore[], what: string): void {
  assert.deepEqual(
    got.map((g) => g.label),
    want.map((w) => w.label),
    what,
  );
  for (const [i, g] of got.entries())
    assert.ok(Math.abs(g.score - want[i]!.score) < 1e-5, `${what}: ${g.score} vs ${want[i]!.score}`);
}

describe('a PyTorch BERT sequence classifier', () => {
  it('is detected by config.json, and without it by its rank-2 logits, never as fill-mask', () => {
    assert.equal(readForeignModel(source).tlc.task, 'text-classification');
    const bare = writeForeignFolder(join(root, 'bare'), join(FIXTURE, 'model.onnx'), { tokenizer: 1000 });
    const detected = readForeignModel(bare);
    assert.equal(detected.tlc.task, 'text-classification');
    assert.match(detected.detected.evidence, /logits of rank 2/);
  });

  it('compresses with int8, prune:0.5+int8 and heads:0.25+ffn:0.5+int8', (t) => {
    assert.equal(report.task, 'text-classification');
    assert.deepEqual(
      report.variants.map((v) => v.recipe),
      ['fp32', ...RECIPES],
    );
    for (const v of report.variants.slice(1)) assert.ok(v.kept, `${v.name}: ${v.reason}`);
    // The fixture's three logits sit near zero (its bias centres them), so cosine is a harsh measure of them:
    // measured 0.990 for int8, the label agreeing on most samples.
    const int8 = report.variants[1]!.drift;
    t.diagnostic(`int8: cosine ${int8.meanCosine}, top-1 agreement ${int8.top1Agreement}, KL ${int8.meanKl}`);
    assert.ok(int8.meanCosine > 0.95 && int8.top1Agreement >= 0.75, JSON.stringify(int8));
    // Without labels, agreement is the measure: the label distributions barely move under int8.
    assert.ok(int8.meanKl >= 0 && int8.meanKl < 0.01, `int8 mean KL ${int8.meanKl}`);
    const heads = report.variants.find((v) => v.recipe === 'heads:0.25+ffn:0.5+int8')!;
    assert.ok(heads.applied > 0, 'structured pruning found the attention and FFN blocks');
  });

  it('serves fp32 with its own labels and ONNX Runtime’s scores, in transformers.js’s shapes', async () => {
    for (const text of TEXTS) {
      const logits = await logitsOf(text);
      const one = await post('/v1/models/cls/text-classification?variant=fp32', { inputs: text });
      assert.equal(one.status, 200, JSON.stringify(one.json));
      assertClose(one.json as LabelScore[], expectedRanking(logits, softmax).slice(0, 1), text);
      const all = await post('/v1/models/cls/text-classification?variant=fp32', {
        inputs: text,
        parameters: { top_k: 3 },
      });
      assertClose(all.json as LabelScore[], expectedRanking(logits, softmax), `${text}, top_k 3`);
      const raw = await post('/v1/models/cls/text-classification?variant=fp32', {
        inputs: text,
        parameters: { top_k: 3, function_to_apply: 'none' },
      });
      assertClose(
        raw.json as LabelScore[],
        expectedRanking(logits, (x) => x),
        `${text}, none`,
      );
      const sig = await post('/v1/models/cls/text-classification?variant=fp32', {
        inputs: text,
        parameters: { top_k: 2, function_to_apply: 'sigmoid' },
      });
      assertClose(sig.json as LabelScore[], expectedRanking(logits, sigmoid).slice(0, 2), `${text}, sigmoid`);
    }
    // Several inputs in one batch: top_k 1 gives one object per input, top_k 2 a list per input.
    const many = await post('/v1/models/cls/text-classification?variant=fp32', { inputs: TEXTS });
    const each = many.json as LabelScore[];
    assert.equal(each.length, TEXTS.length);
    for (const [i, text] of TEXTS.entries())
      assertClose([each[i]!], expectedRanking(await logitsOf(text), softmax).slice(0, 1), `batched ${text}`);
    const lists = (
      await post('/v1/models/cls/text-classification', {
        inputs: TEXTS.slice(0, 2),
        parameters: { top_k: 2 },
      })
    ).json as LabelScore[][];
    assert.deepEqual(
      lists.map((l) => l.length),
      [2, 2],
    );
  });

  it('serves every compressed variant with the same label names, and refuses bad parameters', async () => {
    for (const v of report.variants) {
      const r = await post(`/v1/models/cls/text-classification?variant=${v.name}`, {
        inputs: TEXTS[0],
        parameters: { top_k: 3 },
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.deepEqual((r.json as LabelScore[]).map((x) => x.label).sort(), [...LABELS].sort(), v.name);
    }
    const bad = await post('/v1/models/cls/text-classification', {
      inputs: 'x',
      parameters: { function_to_apply: 'tanh' },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.json as { error: { code: string } }).error.code, 'REQUEST_INVALID');
    const v2 = await post('/v2/models/cls/infer', {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [TEXTS[0]] }],
    });
    assert.equal(v2.status, 200, JSON.stringify(v2.json));
    const out = (v2.json as { outputs: { name: string; data: string[] }[] }).outputs[0]!;
    assert.equal(out.name, 'labels');
    const [first] = JSON.parse(out.data[0]!) as LabelScore[];
    assert.ok(LABELS.includes(first!.label));
  });

  it('answers as transformers.js’s text-classification pipeline does on the compressed folder', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${models}/`;
    const classify = await pipeline('text-classification', 'cls', { dtype: 'fp32' });
    for (const text of TEXTS) {
      const theirs = (await classify(text, { top_k: 3 })) as LabelScore[];
      const ours = (
        await post('/v1/models/cls/text-classification?variant=fp32', {
          inputs: text,
          parameters: { top_k: 3 },
        })
      ).json as LabelScore[];
      assert.deepEqual(
        ours.map((x) => x.label),
        theirs.map((x) => x.label),
        text,
      );
      for (const [i, x] of ours.entries())
        assert.ok(Math.abs(x.score - theirs[i]!.score) < 1e-4, `${text}: ${x.score} vs ${theirs[i]!.score}`);
    }
    const theirs = (await classify([...TEXTS])) as LabelScore[];
    const ours = (await post('/v1/models/cls/text-classification?variant=fp32', { inputs: TEXTS }))
      .json as LabelScore[];
    assert.deepEqual(
      ours.map((x) => x.label),
      theirs.map((x) => x.label),
      'a batch, top_k 1: one object per input',
    );
    await classify.dispose();
  });

  it('scores labelled --eval-data by accuracy and macro-F1', async () => {
    // Each text labelled with fp32's own answer, then one flipped: accuracy 5/6 by construction.
    const predicted = (
      (await post('/v1/models/cls/text-classification?variant=fp32', { inputs: TEXTS })).json as LabelScore[]
    ).map((x) => x.label);
    const labels = predicted.map((l, i) => (i === 0 ? LABELS.find((x) => x !== l)! : l));
    const file = join(root, 'eval.tsv');
    writeFileSync(file, TEXTS.map((t, i) => `${t}\t${labels[i]}`).join('\n'));
    const scored = await compress(source, join(root, 'scored'), {
      recipes: [parseRecipe('int8')],
      threads: 1,
      batch: 2,
      sequence: 16,
      latency: false,
      evalData: file,
    });
    const fp32 = scored.variants[0]!;
    const want = classificationScores(labels, predicted);
    assert.ok(Math.abs(want.accuracy - 5 / 6) < 1e-12);
    assert.ok(Math.abs(fp32.label_accuracy! - want.accuracy) < 1e-12, `accuracy ${fp32.label_accuracy}`);
    assert.ok(Math.abs(fp32.macro_f1! - want.macroF1) < 1e-12, `macro-F1 ${fp32.macro_f1}`);
    const tlc = JSON.parse(readFileSync(join(root, 'scored', 'tlc.json'), 'utf8')) as {
      variants: { metrics?: Record<string, number> }[];
    };
    assert.equal(tlc.variants[0]!.metrics?.label_accuracy, fp32.label_accuracy);
  });
});
