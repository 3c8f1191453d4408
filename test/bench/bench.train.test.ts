/**
 * `tlc bench`: the model bench on trained tiny fill-mask and translation folders (latency grid, scores measured
 * on evaluation data equal to export-and-compress's evaluation of the same files, parameter counts), the
 * --against comparison on hand-made results, the perf_analyzer CSV layout, and the command as users run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareAgainst } from '../../src/bench/against.js';
import {
  benchModel,
  type LatencyPoint,
  type ModelBench,
  type VariantBench,
} from '../../src/bench/bench-model.js';
import { benchCsv, PERF_ANALYZER_COLUMNS, perfAnalyzerCsv } from '../../src/bench/report.js';
import { TlcError } from '../../src/errors/index.js';
import { summarise } from '../../src/ort/timing.js';
import { evaluateVariant } from '../../src/tasks/index.js';
import { trainTinyFillMask } from '../helpers/fill-mask.js';
import { syntheticPairs, trainTinyTranslation, writeTsv } from '../helpers/translation.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tlc-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FAST = { warmup: 1, minRuns: 3, maxRuns: 3 };

describe('summarise', () => {
  it('gives numpy-style percentiles and inputs per second', () => {
    const times = Array.from({ length: 100 }, (_, i) => 100 - i); // 1 … 100 ms, unsorted
    const s = summarise(times, 4);
    assert.equal(s.p50_ms, 50.5);
    assert.ok(Math.abs(s.p90_ms - 90.1) < 1e-9);
    assert.ok(Math.abs(s.p99_ms - 99.01) < 1e-9);
    assert.equal(s.mean_ms, 50.5);
    assert.equal(s.runs, 100);
    // 100 runs of 4 inputs in 5050 ms.
    assert.ok(Math.abs(s.throughput - 400 / 5.05) < 1e-9);
  });
});

function point(batch: number, sequence: number, p50: number): LatencyPoint {
  return {
    device: 'cpu',
    provider: 'cpu',
    batch,
    sequence,
    p50_ms: p50,
    p90_ms: p50 * 1.1,
    p95_ms: p50 * 1.2,
    p99_ms: p50 * 1.5,
    mean_ms: p50,
    runs: 10,
    throughput: (batch * 1000) / p50,
  };
}

function variant(name: string, accuracy: number, p50: number, mb: number): VariantBench {
  return {
    name,
    recipe: [],
    files: [],
    bytes: mb * 1e6,
    parameters: 100,
    nonZero: 100,
    metrics: { accuracy },
    metricsSource: 'measured',
    latency: [point(1, 128, p50), point(8, 128, p50 * 5)],
  };
}

function bench(model: string, variants: VariantBench[], task: ModelBench['task'] = 'fill-mask'): ModelBench {
  return {
    model,
    folder: model,
    task,
    threads: 1,
    machine: { cpu: 'x', features: ['avx2'], int8: 'vpmaddubsw', cores: 2, node: 'v20', ort: '1' },
    variants,
  };
}

describe('compareAgainst', () => {
  const small = bench('small', [variant('fp32', 0.15, 2, 6), variant('int8', 0.149, 1, 1.6)]);
  const at = { device: 'cpu' as const, batch: 1, sequence: 128 };

  it('answers at equal latency and at equal accuracy with the right variants', () => {
    const large = bench('large', [
      variant('fp32', 0.17, 8, 27),
      variant('int8', 0.165, 3, 7),
      variant('pruned50_int8', 0.152, 1.8, 5),
      variant('heads25_int8', 0.14, 1.2, 4),
    ]);
    const c = compareAgainst(large, small, at);
    assert.equal(c.baseline.variant, 'fp32');
    assert.equal(c.baseline.model, 'small');
    // No slower than 2 ms: pruned50_int8 (15.2%) and heads25_int8 (14.0%); the more accurate wins.
    assert.equal(c.equalLatency?.variant, 'pruned50_int8');
    assert.ok(Math.abs(c.equalLatency!.scoreDelta - 0.2) < 1e-9);
    // At least 15%: fp32, int8, pruned50_int8; the fastest wins.
    assert.equal(c.equalAccuracy?.variant, 'pruned50_int8');
    assert.ok(Math.abs(c.equalAccuracy!.speedup - 2 / 1.8) < 1e-9);
    assert.ok(Math.abs(c.equalAccuracy!.sizeRatio - 5 / 6) < 1e-9);
    assert.match(c.verdict[0]!, /MORE accurate/);
    assert.match(c.verdict[1]!, /faster and smaller/);
    // The large variants, then the small model's other variants.
    assert.deepEqual(
      c.rows.map((r) => `${r.model} ${r.variant}`),
      ['large fp32', 'large int8', 'large pruned50_int8', 'large heads25_int8', 'small int8'],
    );
  });

  it('says plainly when no large variant is fast or accurate enough', () => {
    const large = bench('large', [variant('fp32', 0.14, 8, 27), variant('int8', 0.13, 3, 7)]);
    const c = compareAgainst(large, small, at);
    assert.equal(c.equalLatency, undefined);
    assert.equal(c.equalAccuracy, undefined);
    assert.match(c.verdict[0]!, /no large variant is as fast/);
    assert.match(c.verdict[1]!, /no large variant reaches/);
  });

  it('refuses models of different tasks and shapes nobody timed', () => {
    const mt = bench('mt', [variant('fp32', 0.1, 1, 1)], 'translation');
    assert.throws(
      () => compareAgainst(mt, small, at),
      (e: unknown) => e instanceof TlcError && e.code === 'CLI_USAGE',
    );
    assert.throws(
      () => compareAgainst(small, small, { ...at, sequence: 64 }),
      (e: unknown) => e instanceof TlcError && /no MLM accuracy or no latency/.test(e.message),
    );
  });
});

describe('perf_analyzer CSV', () => {
  it('writes perf_analyzer -f columns in microseconds, one row per concurrency', () => {
    const csv = perfAnalyzerCsv(point(8, 128, 2.5));
    const [header, row, end] = csv.split('\n');
    assert.equal(header, PERF_ANALYZER_COLUMNS.join(','));
    assert.equal(end, '');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, Number(row!.split(',')[i])]));
    assert.equal(cells.Concurrency, 1);
    assert.equal(cells['Inferences/Second'], 3200);
    assert.equal(cells['p50 latency'], 2500);
    assert.equal(cells['p99 latency'], 3750);
    assert.equal(cells['Server Compute Infer'], 2500);
    const all = benchCsv([bench('m', [variant('fp32', 0.1, 2, 1)])])
      .trim()
      .split('\n');
    assert.equal(all.length, 3);
    assert.ok(all[0]!.endsWith(PERF_ANALYZER_COLUMNS.join(',')));
    assert.ok(all[1]!.startsWith('m,fp32,cpu,1,1,128,1,'));
  });
});

describe('benchModel on trained models', () => {
  let fillMask: string;
  let translation: string;
  before(async () => {
    fillMask = await trainTinyFillMask(dir, 'mlm', 60);
    mkdirSync(join(dir, 'mt-train'));
    translation = (await trainTinyTranslation(join(dir, 'mt-train'), 60)).model;
    writeTsv(join(dir, 'eval.tsv'), syntheticPairs(9, 20));
  });

  it('times every variant × batch × length and scores each on the evaluation text', async () => {
    const progress: number[] = [];
    const b = await benchModel(fillMask, {
      threads: 1,
      devices: ['cpu'],
      batches: [1, 3],
      lengths: [8, 16],
      timing: FAST,
      evalData: join(dir, 'train.txt'),
      evalTokens: 512,
      onProgress: (_, f) => progress.push(f),
    });
    assert.equal(b.task, 'fill-mask');
    assert.deepEqual(
      b.variants.map((v) => v.name),
      ['fp32', 'int8'],
    );
    for (const v of b.variants) {
      assert.deepEqual(
        v.latency.map((l) => `${l.batch}x${l.sequence}`),
        ['1x8', '1x16', '3x8', '3x16'],
      );
      for (const l of v.latency) {
        assert.equal(l.runs, 3);
        assert.equal(l.provider, 'cpu');
        assert.ok(l.p50_ms > 0 && l.p50_ms <= l.p90_ms && l.p90_ms <= l.p95_ms && l.p95_ms <= l.p99_ms);
        assert.ok(l.throughput > 0);
      }
      // The same files scored by export-and-compress's evaluation give the same numbers.
      const direct = await evaluateVariant('fill-mask', fillMask, v.files, join(dir, 'train.txt'), {
        threads: 1,
        maxLength: 32,
        sequenceLength: 32,
        maxTokens: 512,
      });
      assert.equal(v.metricsSource, 'measured');
      assert.equal(v.metrics.accuracy, direct.accuracy);
      assert.equal(v.metrics.perplexity, direct.perplexity);
      assert.ok(v.bytes > 0 && v.nonZero > 0 && v.nonZero <= v.parameters);
    }
    const [fp32, int8] = b.variants;
    assert.ok(int8!.bytes < fp32!.bytes / 2, 'int8 is under half the size');
    assert.ok(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]!)));
  });

  it('times translation as encoder + cached decoder steps and scores BLEU and chrF', async () => {
    const b = await benchModel(translation, {
      threads: 1,
      devices: ['cpu'],
      batches: [2],
      lengths: [4, 12],
      timing: FAST,
      evalData: join(dir, 'eval.tsv'),
    });
    assert.equal(b.task, 'translation');
    const v = b.variants[0]!;
    assert.equal(v.latency.length, 2);
    assert.ok(v.metrics.bleu !== undefined && v.metrics.bleu >= 0 && v.metrics.bleu <= 100);
    assert.ok(v.metrics.chrf !== undefined && v.metrics.chrf >= 0);
    assert.equal(v.files.length, 3);
  });

  it('refuses lengths beyond the model and unknown variants', async () => {
    const o = { threads: 1, devices: ['cpu' as const], batches: [1], lengths: [8], timing: FAST };
    await assert.rejects(benchModel(fillMask, { ...o, lengths: [4096] }), /beyond .* maximum of 32 tokens/);
    await assert.rejects(
      benchModel(fillMask, { ...o, variants: ['q3'] }),
      /no variant "q3"; it has fp32, int8/,
    );
    await assert.rejects(benchModel(join(dir, 'nope'), o), /no such model folder/);
  });

  it('runs as `tlc bench … --against … --out` and writes JSON, CSV and perf_analyzer files', () => {
    const out = join(dir, 'bench-out');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'tlc.ts'), 'bench', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const r = run(
      fillMask,
      '--against',
      fillMask,
      '--batches',
      '1',
      '--lengths',
      '8',
      '--runs',
      '2',
      '--seconds',
      '0.05',
      '--eval-data',
      join(dir, 'train.txt'),
      '--eval-tokens',
      '256',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /mlm \(fill-mask\) — 1 ORT thread/);
    assert.match(r.stdout, /Against mlm fp32 at batch 1 × 8 on cpu/);
    assert.match(r.stdout, /At equal latency: /);
    const json = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { models: ModelBench[] };
    assert.equal(json.models.length, 2);
    const csv = readFileSync(join(out, 'bench.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 1 + 2 * 2, 'a row per model × variant × shape');
    const files = readdirSync(join(out, 'perf_analyzer')).sort();
    assert.deepEqual(files, ['mlm_fp32_cpu_b1_s8.csv', 'mlm_int8_cpu_b1_s8.csv']);
    assert.ok(existsSync(join(out, 'bench.csv')));
    const bad = run(fillMask, '--batches', '1,x');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /CLI_USAGE.*--batches takes integers/);
  });
});
