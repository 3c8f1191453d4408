/**
 * The shipped classifiers (models/manifest.json entries whose run fine-tunes a classifier), exported as `npm start`
 * exports them: transformers.js's text-classification pipeline on the folder gives the same top label as TLC's
 * `POST /v1/models/{model}/text-classification` for 100 texts of the run's test split, and the same scores within
 * 1e-4. A text longer than the model is cut to its longest prefix of whole words that fits, and both get that:
 * transformers.js truncates to model_max_length tokens with the closing </s> cut off, where Python's tokenizers and
 * TLC's server keep it (the format the classifier was fine-tuned on), so their truncations differ by design.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportRun } from '../../src/export/export-run.js';
import { readRunConfig } from '../../src/run-folder/run-config.js';
import type { RunningServer } from '../../src/server/server.js';
import { taskForRun } from '../../src/tasks/index.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { postJson, startTestServer } from '../helpers/test-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'manifest.json'), 'utf8')) as {
  models: { name: string }[];
};
/** Shipped models whose run makes a text classifier. */
const CLASSIFIERS = manifest.models
  .map((m) => m.name)
  .filter((name) => {
    const dir = join(ROOT, 'models', name);
    return (
      existsSync(join(dir, 'run.json')) && taskForRun(readRunConfig(dir).task).name === 'text-classification'
    );
  });

const dir = mkdtempSync(join(tmpdir(), 'tlc-builtin-classifiers-'));
const models = join(dir, 'models');
let server: RunningServer;

before(async () => {
  mkdirSync(models);
  for (const name of CLASSIFIERS) await exportRun(join(ROOT, 'models', name), join(models, name));
  server = await startTestServer(models);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type LabelScore = { label: string; score: number };

/** `text`, or its longest prefix of whole words that `fits`. */
function fitting(text: string, fits: (t: string) => boolean): string {
  if (fits(text)) return text;
  const cuts = [...text.matchAll(/\s+/g)].map((m) => m.index);
  let lo = 0;
  let hi = cuts.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(text.slice(0, cuts[mid]))) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, cuts[lo]);
}

describe('the built-in classifiers', () => {
  it('are shipped (at least one pair)', () => {
    assert.ok(CLASSIFIERS.length >= 2, `classifiers in models/manifest.json: ${CLASSIFIERS.join(', ')}`);
  });

  for (const name of CLASSIFIERS)
    it(`${name}: transformers.js's pipeline and the server agree on 100 test texts (scores within 1e-4)`, async () => {
      const run = readRunConfig(join(ROOT, 'models', name));
      const file = await taskForRun(run.task).training.writeTestSplit(run, join(dir, `${name}-test`));
      const tokenizer = await Tokenizer.fromFile(join(models, name));
      const texts = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { text: string }).text)
        .slice(0, 100)
        .map((text) => fitting(text, (t) => tokenizer.encode(t).length <= run.model.maxLength));
      assert.equal(texts.length, 100);
      const { env, pipeline } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.localModelPath = `${models}/`;
      const classify = await pipeline('text-classification', name, { dtype: 'fp32' });
      const labels = new Set(run.labels);
      for (const text of texts) {
        const theirs = (await classify(text, { top_k: null })) as LabelScore[];
        const res = await postJson(server, `/v1/models/${name}/text-classification?variant=fp32`, {
          inputs: text,
          parameters: { top_k: 10 },
        });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        const ours = res.json as LabelScore[];
        assert.equal(ours[0]!.label, theirs[0]!.label, text.slice(0, 80));
        assert.ok(labels.has(ours[0]!.label));
        for (const [i, c] of ours.entries()) {
          assert.equal(c.label, theirs[i]!.label);
          assert.ok(Math.abs(c.score - theirs[i]!.score) < 1e-4, `${c.score} vs ${theirs[i]!.score}`);
        }
      }
    });
});
