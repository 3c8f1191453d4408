/**
 * An Optimum-style BERT export with a third input `token_type_ids` (test/helpers/segment-bert.ts) compresses with
 * int8, q4, prune:0.5+int8 and heads:0.25+ffn:0.5+int8 (sample inputs, calibration, drift and the probe feed it
 * zeros, never random ids past its two-row table), and every variant serves fill-mask: fp32 answers exactly the
 * top-5 of ONNX Runtime on the source graph fed zeros, the compressed variants agree on the top-1 of most
 * inputs. A v2 raw request may leave token_type_ids out (zeros); a segment past the table is refused.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { CompressReport } from '../../src/compress/report.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { writeSegmentBertFolder } from '../helpers/segment-bert.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-token-type-ids-'));
const models = join(root, 'models');
const source = join(root, 'source');
// static-int8 besides the four of the issue: its calibration runs the source on the sample inputs.
const RECIPES = ['int8', 'q4', 'prune:0.5+int8', 'heads:0.25+ffn:0.5+int8', 'static-int8'];
const TEXTS = [
  'the [MASK] of time',
  'he was [MASK] in the new time',
  'she said that [MASK] is not here',
  'they have been [MASK] by the first one',
  'we can [MASK] out of the two',
  'all of [MASK] were with her',
  'this is the [MASK] one',
  'what [MASK] could he do',
  'his first [MASK] was about them',
  'it has [MASK] all but one',
];
/**
 * Served agreement with fp32 fed zeros, [top-1 share, top-5 overlap] at least: measured here int8 10/10 and 0.94,
 * q4 8/10 and 0.78, static-int8 10/10 and 0.88, the pruned variants far lower, because the fixture is untrained (random weights: half of
 * them removed reorders near-equal logits) yet far above chance (5 in 1,000).
 */
const BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  int8: [0.9, 0.8],
  q4: [0.6, 0.6],
  'prune:0.5+int8': [0.2, 0.2],
  'heads:0.25+ffn:0.5+int8': [0.2, 0.2],
  'static-int8': [0.6, 0.6],
};
let server: RunningServer;
let report: CompressReport;
let tokenizer: Tokenizer;

before(async () => {
  mkdirSync(models);
  writeSegmentBertFolder(source);
  report = await compress(source, join(models, 'segment'), {
    recipes: RECIPES.map(parseRecipe),
    threads: 1,
    batch: 2,
    sequence: 16,
    latency: false,
  });
  tokenizer = await Tokenizer.fromFile(source);
  server = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    log: () => {},
  });
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

/** Top-5 token ids at the mask of ONNX Runtime on the source fp32 graph, token_type_ids fed zeros by hand. */
async function reference(text: string): Promise<number[]> {
  const ids = tokenizer.encode(text);
  const at = ids.indexOf(tokenizer.specialIds.mask!);
  const n = ids.length;
  const session = await createSession(join(source, 'model.onnx'), { threads: 1 });
  try {
    const out = await runSession(session, {
      input_ids: ortTensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: ortTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: ortTensor('int64', new BigInt64Array(n), [1, n]),
    });
    const vocab = out.logits!.dims[2]!;
    const logits = (out.logits!.data as Float32Array).subarray(at * vocab, (at + 1) * vocab);
    return [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, 5);
  } finally {
    await session.release();
  }
}

async function served(variant: string, text: string): Promise<number[]> {
  const { status, json } = await post(`/v1/models/segment/fill-mask?variant=${variant}`, { inputs: text });
  assert.equal(status, 200, JSON.stringify(json));
  return (json as { token: number }[]).map((c) => c.token);
}

describe('a BERT export with token_type_ids', () => {
  it('compresses with every recipe, drift measured on zeros', () => {
    assert.equal(report.task, 'fill-mask');
    assert.deepEqual(
      report.variants.map((v) => v.recipe),
      ['fp32', ...RECIPES],
    );
    for (const v of report.variants.slice(1))
      assert.ok(v.drift.meanCosine > 0.5, `${v.name}: ${v.drift.meanCosine}`);
    // int8 alone barely moves the logits; with token ids past the segment table there were no logits at all.
    assert.ok(report.variants[1]!.drift.meanCosine > 0.99);
    // The fidelity probe ran on the fp32 graph (its inputs are sample inputs too).
    assert.ok(existsSync(join(models, 'segment', 'probe.json')));
  });

  it('serves fp32 with the top-5 of ONNX Runtime fed zeros, and compressed variants close to it', async (t) => {
    const expected = await Promise.all(TEXTS.map(reference));
    for (const [i, text] of TEXTS.entries()) assert.deepEqual(await served('fp32', text), expected[i], text);
    for (const v of report.variants.slice(1)) {
      let top1 = 0;
      let overlap = 0;
      for (const [i, text] of TEXTS.entries()) {
        const got = await served(v.name, text);
        if (got[0] === expected[i]![0]) top1++;
        overlap += got.filter((id) => expected[i]!.includes(id)).length / 5 / TEXTS.length;
      }
      t.diagnostic(`${v.name}: top-1 ${top1}/${TEXTS.length}, top-5 overlap ${overlap.toFixed(2)}`);
      const [minTop1, minOverlap] = BOUNDS[v.recipe]!;
      assert.ok(top1 >= minTop1 * TEXTS.length, `${v.name}: top-1 equal on ${top1} of ${TEXTS.length}`);
      assert.ok(overlap >= minOverlap, `${v.name}: top-5 overlap ${overlap}`);
    }
  });

  it('answers a v2 raw request without token_type_ids as with zeros; a segment past the table is refused', async () => {
    const ids = tokenizer.encode(TEXTS[0]!);
    const n = ids.length;
    const tensors = [
      { name: 'input_ids', shape: [1, n], datatype: 'INT64', data: ids },
      { name: 'attention_mask', shape: [1, n], datatype: 'INT64', data: new Array(n).fill(1) },
      { name: 'mask_rows', shape: [1], datatype: 'INT64', data: [ids.indexOf(tokenizer.specialIds.mask!)] },
      { name: 'top_k', shape: [1], datatype: 'INT64', data: [5] },
    ];
    const segments = (value: number) => ({
      name: 'token_type_ids',
      shape: [1, n],
      datatype: 'INT64',
      data: new Array(n).fill(value),
    });
    const infer = (inputs: unknown[]) => post('/v2/models/segment/versions/fp32/infer', { inputs });
    const left = await infer(tensors);
    assert.equal(left.status, 200, JSON.stringify(left.json));
    const zeros = await infer([...tensors, segments(0)]);
    assert.deepEqual(left.json, zeros.json);
    const outputs = (left.json as { outputs: { name: string; data: number[] }[] }).outputs;
    assert.deepEqual(outputs.find((o) => o.name === 'token_ids')!.data, await reference(TEXTS[0]!));
    const ones = await infer([...tensors, segments(1)]);
    assert.equal(ones.status, 200);
    assert.notDeepEqual(ones.json, zeros.json, 'the segment given is the segment used');
    const past = await infer([...tensors, segments(2)]);
    assert.equal(past.status, 422);
    assert.match(JSON.stringify(past.json), /token_type_ids.*value 2 at 0 is not a token type id/);
  });
});
