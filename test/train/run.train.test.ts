/**
 * `tlc train` and `tlc eval` end to end on small synthetic corpora whose masked words and translations are
 * predictable from context, so that seconds of training must beat the unigram baseline by far.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runConfigFromFlags } from '../../src/cli/commands/train.js';
import { DataType } from '../../src/onnx/dtype.js';
import { readLog } from '../../src/run-folder/log.js';
import { RUN_DEFAULTS } from '../../src/run-folder/run-config.js';
import { packCheckpoint, readCheckpoint } from '../../src/train/checkpoint.js';
import { evaluateRun } from '../../src/train/run/eval-run.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { countingText, tinyFlags } from '../helpers/train.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
];
const FRENCH = [
  'alphe',
  'bravoure',
  'charles',
  'delte',
  'écho',
  'renard',
  'golfe',
  'hôtel',
  'inde',
  'juliette',
  'kilo',
  'lime',
];

const text = (rng: Rng, documents: number) => countingText(rng, WORDS, documents, () => 20 + rng.int(30));
const flags = (overrides: Record<string, unknown>) => tinyFlags({ schedule: 'constant', ...overrides });

describe('tlc train / tlc eval', () => {
  it('an MLM run learns context far beyond the unigram baseline, logs, checkpoints and evaluates', async () => {
    const files = [join(dir, 'text.txt')];
    writeFileSync(files[0]!, text(Rng.seeded(1), 600));
    const out = join(dir, 'mlm');
    const config = runConfigFromFlags(
      flags({
        data: files,
        maxSteps: '1500',
        evalEvery: '750',
        schedule: 'linear',
        warmup: '100',
        batchTokens: '1024',
        out,
      }),
    );
    const messages: string[] = [];
    const summary = await runTraining(config, { log: (m) => messages.push(m) });
    const log = readLog(join(out, 'log.jsonl'));
    assert.deepEqual(
      log.map((r) => r.step),
      [750, 1500],
    );
    const last = log[log.length - 1]!;
    const unigram = last.validation.unigram_perplexity!;
    assert.ok(unigram > 8, `unigram perplexity ${unigram}`);
    assert.ok(
      last.validation.perplexity! < unigram / 3,
      `perplexity ${last.validation.perplexity} vs unigram ${unigram}`,
    );
    assert.ok(last.validation.accuracy! > 0.6, `accuracy ${last.validation.accuracy}`);
    assert.ok(last.seconds > 0 && last.wall_seconds >= last.seconds && last.tokens > 0 && last.lr >= 0);
    assert.equal(summary.steps, 1500);
    assert.equal(summary.stoppedBy, 'max-steps');
    assert.ok(messages.some((m) => m.startsWith('tokenizer: trained')));
    const report = await evaluateRun(out, { split: 'validation' });
    assert.equal(report.step, 1500);
    assert.ok(
      Math.abs(report.metrics.perplexity! - summary.validation.perplexity!) / summary.validation.perplexity! <
        0.5,
    );
    const test = await evaluateRun(out);
    assert.ok(test.metrics.accuracy! > 0.5, 'the test split is learned too');
    // The unigram baseline of the test tokens (under training frequencies) is reported beside the model's.
    assert.ok(test.metrics.perplexity! < test.metrics.unigram_perplexity! / 2);
    // So is the neighbour-count baseline: in counting text a neighbour gives the word away, so it is far above
    // chance (1 in 12 words) though below 1 (both neighbours masked or replaced by random tokens); misaligned
    // positions would leave it near chance.
    for (const neighbour of [test.metrics.neighbour_accuracy!, last.validation.neighbour_accuracy!])
      assert.ok(neighbour > 0.5 && neighbour < 1, `neighbour baseline ${neighbour}`);

    // Packed for shipping: float16 parameters only, a quarter of the bytes or less, same metrics within rounding.
    const shipped = join(dir, 'shipped');
    mkdirSync(shipped);
    for (const f of ['run.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(out, f), join(shipped, f));
    const bytes = packCheckpoint(join(out, 'best.safetensors'), join(shipped, 'best.safetensors'));
    assert.ok(bytes <= statSync(join(out, 'best.safetensors')).size / 4 + 4096);
    const packed = readCheckpoint(join(shipped, 'best.safetensors'));
    assert.equal(packed.meta.packed, 'float16');
    assert.ok([...packed.tensors.keys()].every((k) => !k.startsWith('optimizer.')));
    assert.ok([...packed.tensors.values()].every((t) => t.dataType === DataType.FLOAT));
    const again = await evaluateRun(shipped);
    assert.equal(again.step, test.step);
    assert.ok(
      Math.abs(again.metrics.loss! - test.metrics.loss!) < 0.01,
      `${again.metrics.loss} vs ${test.metrics.loss}`,
    );
    copyFileSync(join(shipped, 'best.safetensors'), join(shipped, 'checkpoint.safetensors'));
    await assert.rejects(runTraining({ ...config, out: shipped, maxSteps: 1600 }, { log: () => {} }, true), {
      code: 'CHECKPOINT_FAILED',
      message: /packed .*cannot resume/,
    });
  });

  it('a resumed run continues the step count, the log and the time accounting', async () => {
    const file = join(dir, 'text-resume.txt');
    writeFileSync(file, text(Rng.seeded(9), 150));
    const out = join(dir, 'resume');
    const config = runConfigFromFlags(flags({ data: [file], maxSteps: '40', evalEvery: '20', out }));
    const first = await runTraining(config, { log: () => {} });
    assert.equal(first.steps, 40);
    await assert.rejects(runTraining(config, { log: () => {} }), {
      code: 'CONFIG_INVALID',
      message: /--resume/,
    });
    const second = await runTraining({ ...config, maxSteps: 60 }, { log: () => {} }, true);
    assert.equal(second.steps, 60);
    const log = readLog(join(out, 'log.jsonl'));
    assert.deepEqual(
      log.map((r) => r.step),
      [20, 40, 60],
    );
    assert.ok(log[2]!.seconds > log[1]!.seconds && log[2]!.tokens > log[1]!.tokens);
  });

  it('a translation run learns a word-for-word language and reports BLEU and chrF', async () => {
    const rng = Rng.seeded(4);
    const lines = Array.from({ length: 1500 }, () => {
      const n = 2 + rng.int(6);
      const idx = Array.from({ length: n }, () => rng.int(WORDS.length));
      return `${idx.map((i) => WORDS[i]).join(' ')}\t${idx.map((i) => FRENCH[i]).join(' ')}`;
    });
    const tsv = join(dir, 'pairs.tsv');
    writeFileSync(tsv, `# synthetic en→fr\n${lines.join('\n')}\n`);
    const out = join(dir, 'translation');
    const config = runConfigFromFlags(
      flags({ task: 'translation', data: [tsv], maxSteps: '500', evalEvery: '250', lr: '2e-3', out }),
    );
    const summary = await runTraining(config, { log: () => {} });
    const log = readLog(join(out, 'log.jsonl'));
    assert.ok(log[0]!.validation.loss! > summary.validation.loss!, 'validation loss falls');
    assert.ok(summary.validation.perplexity! < 2, `perplexity ${summary.validation.perplexity}`);
    assert.ok(summary.validation.bleu! > 40, `BLEU ${summary.validation.bleu}`);
    assert.ok(summary.validation.chrf! > 60, `chrF ${summary.validation.chrf}`);
    const report = await evaluateRun(out);
    assert.equal(report.split, 'test');
    assert.ok(report.metrics.bleu! > 30 && report.metrics.sentences! > 20, JSON.stringify(report.metrics));
  });

  it('validates settings with messages that name the flag', () => {
    assert.throws(() => runConfigFromFlags(flags({ out: join(dir, 'x') })), {
      code: 'CONFIG_INVALID',
      message: /--time-budget or --max-steps/,
    });
    assert.throws(() => runConfigFromFlags(flags({ maxSteps: '10', task: 'poetry', out: 'x' })), {
      code: 'CLI_USAGE',
      message: /--task/,
    });
    assert.throws(() => runConfigFromFlags(flags({ maxSteps: '10', timeBudget: '10 minutes', out: 'x' })), {
      message: /15m/,
    });
    assert.equal(runConfigFromFlags(flags({ timeBudget: '1h30m', out: 'x' })).timeBudgetSeconds, 5400);
    assert.equal(RUN_DEFAULTS.vocabSize, 8000);
    assert.ok(
      readFileSync(new URL('../../src/cli/commands/train.ts', import.meta.url), 'utf8').includes(
        '--time-budget',
      ),
    );
  });
});
