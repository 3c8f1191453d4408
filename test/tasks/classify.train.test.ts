/**
 * Fine-tuning a classifier end to end (trains; seconds): a tiny MLM run, then `tlc train --task classify --init`
 * on a labelled TSV of three topics. The run takes the MLM run's size, tokenizer and encoder weights (equal to the
 * checkpoint's within float rounding after a step at a negligible rate), records its labels and splits, learns the
 * topics, and `tlc eval` writes the confusion matrix whose diagonal gives the accuracy it reports, beside the
 * naive Bayes baseline. The exported folder is RobertaForSequenceClassification with the data's labels; ONNX
 * Runtime on it predicts what the evaluation graph predicted; TLC's server and transformers.js's
 * text-classification pipeline give the same labels and scores (1e-4).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runConfigFromFlags } from '../../src/cli/commands/train.js';
import { exportRun } from '../../src/export/export-run.js';
import type { RunConfig } from '../../src/run-folder/run-config.js';
import { evaluateClassifier } from '../../src/tasks/text-classification/score.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { evaluateRun } from '../../src/train/run/eval-run.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { COMPASS } from '../helpers/fill-mask.js';
import { postJson, startTestServer } from '../helpers/test-server.js';
import { countingText, tinyFlags, tinyRun } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-classify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOPICS: Readonly<Record<string, readonly string[]>> = {
  compass: COMPASS,
  colour: ['red', 'green', 'blue', 'black', 'white', 'yellow', 'brown', 'pink', 'grey', 'gold'],
  number: ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'],
};
const LABELS = Object.keys(TOPICS).sort();
const mlmRun = join(dir, 'mlm');
const tsv = join(dir, 'topics.tsv');

/** `n` texts of 6–`most` words of one topic each, topics in turn. */
function topicRows(rng: Rng, n: number, most = 15): { text: string; label: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const label = LABELS[i % LABELS.length]!;
    const words = TOPICS[label]!;
    return {
      text: Array.from({ length: 6 + rng.int(most - 5) }, () => words[rng.int(words.length)]).join(' '),
      label,
    };
  });
}

/** A classify run's settings from the CLI's flags (no size flags: --init gives the size). */
const classifyRun = (overrides: Record<string, unknown>): RunConfig =>
  runConfigFromFlags(
    tinyFlags({
      task: 'classify',
      init: mlmRun,
      data: [tsv],
      width: undefined,
      layers: undefined,
      heads: undefined,
      dropout: '0.1',
      evalEvery: '100',
      ...overrides,
    }),
  );

before(async () => {
  const all = Object.values(TOPICS).flat();
  writeFileSync(
    join(dir, 'text.txt'),
    countingText(Rng.seeded(3), all, 200, () => 30),
  );
  await runTraining(
    tinyRun({
      evalEvery: '40',
      evalTokens: '1024',
      data: [join(dir, 'text.txt')],
      maxSteps: '40',
      out: mlmRun,
    }),
    { log: () => {} },
  );
  writeFileSync(
    tsv,
    `${topicRows(Rng.seeded(5), 600)
      .map((r) => `${r.text}\t${r.label}`)
      .join('\n')}\n`,
  );
});

describe('tlc train --task classify --init', () => {
  it('refuses a classify run without --init, and size flags beside --init', () => {
    assert.throws(
      () =>
        runConfigFromFlags(tinyFlags({ task: 'classify', data: [tsv], maxSteps: '1', out: join(dir, 'x') })),
      (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /--init/.test(e.message),
    );
    assert.throws(
      () => classifyRun({ width: '64', maxSteps: '1', out: join(dir, 'y') }),
      (e: Error & { code?: string }) => e.code === 'CLI_USAGE' && /--width/.test(e.message),
    );
    const named = runConfigFromFlags(
      tinyFlags({
        task: 'classify',
        init: mlmRun,
        data: ['sotu-party'],
        width: undefined,
        layers: undefined,
        heads: undefined,
        maxSteps: '1',
        out: join(dir, 'z'),
      }),
    );
    assert.equal(named.corpus, 'sotu-party');
    assert.deepEqual(named.dataFiles, []);
  });

  it('starts from the initial run’s encoder: its weights, size and tokenizer; a new head', async () => {
    const out = join(dir, 'still');
    const lines: string[] = [];
    await runTraining(classifyRun({ lr: '1e-12', warmup: '0', maxSteps: '1', out }), {
      log: (m) => lines.push(m),
    });
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunConfig;
    const mlm = JSON.parse(readFileSync(join(mlmRun, 'run.json'), 'utf8')) as RunConfig;
    assert.deepEqual(run.labels, LABELS);
    assert.equal(run.init, mlmRun);
    assert.equal(run.model.dModel, mlm.model.dModel);
    assert.equal(run.model.layers, mlm.model.layers);
    assert.equal(
      readFileSync(join(out, 'tokenizer.json'), 'utf8'),
      readFileSync(join(mlmRun, 'tokenizer.json'), 'utf8'),
    );
    const before = readCheckpoint(join(mlmRun, 'best.safetensors')).tensors;
    const after = readCheckpoint(join(out, 'checkpoint.safetensors')).tensors;
    let shared = 0;
    for (const [name, t] of after) {
      if (name.startsWith('optimizer.')) continue;
      const init = before.get(name);
      if (name.startsWith('classifier.')) {
        assert.equal(init, undefined, `${name} is new`);
        continue;
      }
      assert.ok(init !== undefined, `${name} comes from the MLM run`);
      const a = t.data as Float32Array;
      const b = init.data as Float32Array;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${name}[${i}]`);
      shared++;
    }
    assert.ok(shared > 10, `${shared} encoder parameters`);
    assert.ok(
      lines.some((l) => /^init: \d+ parameters from/.test(l)),
      lines.join('\n'),
    );
    const data = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')) as Record<
      string,
      { texts: number }
    >;
    assert.equal(data.train!.texts + data.validation!.texts + data.test!.texts, 600);
  });

  describe('a fine-tuned classifier', () => {
    const out = join(dir, 'topics');
    const models = join(dir, 'models');
    let summary: Awaited<ReturnType<typeof runTraining>>;
    before(async () => {
      summary = await runTraining(classifyRun({ lr: '2e-3', warmup: '20', maxSteps: '200', out }), {
        log: () => {},
      });
    });

    it('learns the topics: validation accuracy and macro-F1 above 0.9', () => {
      assert.ok(summary.validation.accuracy! > 0.9, JSON.stringify(summary.validation));
      assert.ok(summary.validation.macro_f1! > 0.9, JSON.stringify(summary.validation));
    });

    it('tlc eval: accuracy equals the confusion matrix’s diagonal; naive Bayes beside it', async () => {
      const report = await evaluateRun(out);
      assert.deepEqual(report.files, [join(out, 'confusion-test.json')]);
      const confusion = JSON.parse(readFileSync(join(out, 'confusion-test.json'), 'utf8')) as {
        labels: string[];
        confusion: number[][];
      };
      assert.deepEqual(confusion.labels, LABELS);
      const total = confusion.confusion.flat().reduce((a, b) => a + b, 0);
      const diagonal = confusion.confusion.reduce((s, row, i) => s + row[i]!, 0);
      assert.equal(total, report.metrics.texts);
      assert.ok(Math.abs(diagonal / total - report.metrics.accuracy!) < 1e-12);
      assert.ok(report.metrics.nb_accuracy! > 0.9, 'the topics are separable by words');
      assert.ok(report.metrics.macro_f1! > 0 && report.metrics.macro_f1! <= 1);
    });

    it('exports as RobertaForSequenceClassification; the server and transformers.js agree on it', async () => {
      const folder = join(models, 'topics');
      await exportRun(out, folder);
      const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as {
        architectures: string[];
        id2label: Record<string, string>;
        label2id: Record<string, number>;
      };
      assert.deepEqual(config.architectures, ['RobertaForSequenceClassification']);
      assert.deepEqual(Object.values(config.id2label), LABELS);
      assert.deepEqual(config.label2id, Object.fromEntries(LABELS.map((l, i) => [l, i])));
      const server = await startTestServer(models);
      try {
        const { env, pipeline } = await import('@huggingface/transformers');
        env.allowRemoteModels = false;
        env.localModelPath = `${models}/`;
        const classify = await pipeline('text-classification', 'topics', { dtype: 'fp32' });
        // Short enough for the model's 32 positions, as transformers.js does not truncate by default.
        const rows = topicRows(Rng.seeded(11), 30, 8);
        let right = 0;
        for (const row of rows) {
          type LabelScore = { label: string; score: number };
          const theirs = (await classify(row.text, { top_k: 3 })) as LabelScore[];
          const res = await postJson(server, '/v1/models/topics/text-classification?variant=fp32', {
            inputs: row.text,
            parameters: { top_k: 3 },
          });
          assert.equal(res.status, 200, JSON.stringify(res.json));
          const ours = res.json as LabelScore[];
          assert.deepEqual(
            ours.map((c) => c.label),
            theirs.map((c) => c.label),
            row.text,
          );
          for (const [i, c] of ours.entries())
            assert.ok(Math.abs(c.score - theirs[i]!.score) < 1e-4, row.text);
          if (ours[0]!.label === row.label) right++;
        }
        assert.ok(right >= 27, `${right} of 30 new texts labelled right`);
        // --eval-data longer than the model is scored as the server's truncation serves it: each text opens with
        // 10 words of its topic and goes on with 50 of another, so that only a cut text reads as its label.
        const rng = Rng.seeded(13);
        const long = topicRows(rng, 24, 10).map((r, i) => {
          const other = TOPICS[LABELS[(i + 1) % LABELS.length]!]!;
          const rest = Array.from({ length: 50 }, () => other[rng.int(other.length)]);
          return { text: [...r.text.split(' ').slice(0, 10), ...rest].join(' '), label: r.label };
        });
        const file = join(dir, 'long.jsonl');
        writeFileSync(file, long.map((r) => JSON.stringify(r)).join('\n'));
        let served = 0;
        for (const row of long) {
          const res = await postJson(server, '/v1/models/topics/text-classification?variant=fp32', {
            inputs: row.text,
            parameters: { truncation: true },
          });
          assert.equal(res.status, 200, JSON.stringify(res.json));
          if ((res.json as { label: string }[])[0]!.label === row.label) served++;
        }
        const scored = await evaluateClassifier(folder, join(folder, 'onnx', 'model.onnx'), file, 1, 32);
        assert.equal(scored.label_accuracy, served / long.length);
        assert.ok(
          served / long.length > 0.8,
          `${served} of ${long.length} cut texts read as their opening topic`,
        );
      } finally {
        await server.close();
      }
    });
  });
});
