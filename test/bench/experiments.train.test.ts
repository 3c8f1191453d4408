/**
 * The experiments A–D end to end at a size a test can afford (two presets narrowed to width 32, trained for a
 * 300 steps each on text whose masked words follow from their neighbours): every result JSON matches its
 * plots' data, no series is empty or constant, and the numbers hang together (A's curves run forward in time,
 * B's pruning lowers the non-zero count, C's q4 is the smallest, D's frontier is not dominated).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { experimentA } from '../../scripts/experiments/exp-a.js';
import { experimentB } from '../../scripts/experiments/exp-b.js';
import { experimentC } from '../../scripts/experiments/exp-c.js';
import { experimentD } from '../../scripts/experiments/exp-d.js';
import { experimentE } from '../../scripts/experiments/exp-e.js';
import { paretoFrontier } from '../../scripts/experiments/plot.js';
import { type ExperimentResult, resultProblems } from '../../scripts/experiments/results.js';
import type { StudyOptions } from '../../scripts/experiments/study.js';
import { Rng } from '../../src/util/rng.js';
import { COMPASS } from '../helpers/fill-mask.js';
import { countingText } from '../helpers/train.js';
import { syntheticPairs, writeTsv } from '../helpers/translation.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-exp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('paretoFrontier', () => {
  it('keeps the points no other point beats on both lower x and higher y', () => {
    const points = [
      { x: 1, y: 10 },
      { x: 2, y: 9 }, // dominated by (1, 10)
      { x: 3, y: 12 },
      { x: 3, y: 11 }, // dominated by (3, 12)
      { x: 5, y: 12 }, // not better than (3, 12)
      { x: 8, y: 15 },
    ];
    assert.deepEqual(
      paretoFrontier(points).map((p) => [p.x, p.y]),
      [
        [1, 10],
        [3, 12],
        [8, 15],
      ],
    );
    assert.deepEqual(paretoFrontier([]), []);
  });
});

/** Every micro-study run: a small vocabulary, short sequences, width 32 whatever the preset's depth. */
const NARROW = ['--vocab-size', '300', '--max-length', '32', '--width', '32', '--heads', '2', '--ffn', '64'];

describe('experiments A–D (micro study)', () => {
  let o: StudyOptions;
  const results: Record<string, ExperimentResult> = {};
  before(async () => {
    const data = join(dir, 'counting.txt');
    const pairs = join(dir, 'pairs.tsv');
    writeTsv(pairs, syntheticPairs(1, 1500));
    writeFileSync(
      data,
      countingText(Rng.seeded(3), COMPASS, 400, () => 40),
    );
    const out = join(dir, 'results');
    mkdirSync(out, { recursive: true });
    mkdirSync(join(dir, 'given'), { recursive: true });
    o = {
      quick: true,
      out,
      work: join(dir, 'work'),
      presets: ['tiny', 'small'],
      // A step budget (reached long before the time budget) keeps the runs, and so every score, deterministic.
      budget: '5m',
      translationBudget: '5m',
      evalEvery: 20,
      warmup: 5,
      batchTokens: 512,
      trainEvalTokens: 1024,
      evalTokens: 2048,
      pruneSweep: [0.5, 0.9],
      latencySeconds: 0.05,
      threads: 1,
      // Learned positions: with ALiBi the counting text is learnt perfectly in 300 steps, and a study whose
      // every variant scores 100% has constant series (fewer steps leave the pruning sweep constant instead).
      trainArgs: ['--max-steps', '300', '--data', data, ...NARROW, '--positions', 'learned', '--lr', '1e-3'],
      translationPresets: ['tiny', 'small'],
      translationRuns: [],
      translationTrainArgs: [
        '--max-steps',
        '450',
        '--schedule',
        'constant',
        '--data',
        pairs,
        ...NARROW,
        '--lr',
        '2e-3',
      ],
      log: () => {},
    };
    results.a = await experimentA(o);
    results.b = await experimentB(o);
    results.c = await experimentC(o);
    results.d = await experimentD(o);
    results.e = await experimentE(o);
  });

  it('writes results whose plots show exactly their series, none empty or constant', () => {
    for (const id of ['a', 'b', 'c', 'd', 'e'] as const) assert.deepEqual(resultProblems(o.out, id), [], id);
    assert.deepEqual(
      results.a!.plots.map((p) => p.file),
      ['a-perplexity-time.svg', 'a-perplexity-steps.svg'],
    );
  });

  it('A: one curve per preset forward in time, seconds per step recorded', () => {
    const time = results.a!.series.filter((s) => s.plot === 'a-perplexity-time');
    assert.deepEqual(
      time.map((s) => s.name),
      ['tiny', 'small'],
    );
    for (const s of time)
      for (let i = 1; i < s.points.length; i++) assert.ok(s.points[i]!.x > s.points[i - 1]!.x);
    const rows = results.a!.tables.presets!;
    assert.equal(rows.length, 2);
    for (const r of rows) assert.ok((r.seconds_per_step as number) > 0 && (r.steps as number) > 0);
    assert.match(
      results.a!.commands[0]!,
      /^tlc train --task mlm .*--preset tiny .*--time-budget 5m .*--max-steps 300/,
    );
  });

  it('B: pruning lowers the non-zero parameters; C: q4 is the smallest variant, then int8', () => {
    for (const s of results.b!.series) {
      assert.equal(s.points.length, 3, 'fp32 and two pruning levels');
      const byName = new Map(s.points.map((p) => [p.label, p.x]));
      assert.ok(
        byName.get('pruned90')! < byName.get('pruned50')! && byName.get('pruned50')! < byName.get('fp32')!,
      );
    }
    for (const s of results.c!.series) {
      // 4-bit weights with int8 embeddings: the smallest file, then int8 (every weight at 8 bits).
      const bySize = [...s.points].sort((a, b) => a.x - b.x).map((p) => p.label);
      assert.deepEqual(bySize.slice(0, 2), ['q4', 'int8']);
      assert.deepEqual(s.points.map((p) => p.label).sort(), ['fp32', 'int8', 'q4', 'q8']);
    }
  });

  it('E: translation presets trained here, every variant scored by BLEU and timed', () => {
    const rows = results.e!.tables.variants!;
    assert.deepEqual(
      rows.map((r) => `${r.preset} ${r.variant}`),
      [
        'tiny fp32',
        'tiny int8',
        'tiny q4',
        'tiny pruned50_int8',
        'small fp32',
        'small int8',
        'small q4',
        'small pruned50_int8',
      ],
    );
    for (const r of rows) assert.ok((r.bleu as number) >= 0 && (r.p50_ms as number) > 0);
    assert.match(results.e!.commands[0]!, /^tlc train --task translation .*--preset tiny/);
  });

  it('B–D take given run folders (the shipped pair in quick mode) and score them as their own preset runs', async () => {
    const runs = ['tiny', 'small'].map((p) => join(o.work, 'runs', `mlm-${p}`));
    const given = await experimentC({ ...o, out: join(dir, 'given'), mlmRuns: runs });
    assert.deepEqual(
      given.series.map((s) => s.name),
      ['mlm-tiny', 'mlm-small'],
    );
    // Same checkpoints, same test split, same recipes: the same scores and sizes as from A's runs.
    assert.deepEqual(
      given.series.map((s) => s.points),
      results.c!.series.map((s) => s.points),
    );
  });

  it('D: every variant of every preset is timed and the frontier is not dominated', () => {
    const rows = results.d!.tables.variants!;
    assert.equal(rows.length, 2 * 8, 'fp32 and seven recipes per preset');
    const frontier = results.d!.series.find((s) => s.name === 'Pareto frontier')!;
    for (const f of frontier.points)
      for (const r of rows)
        assert.ok(
          !((r.p50_ms as number) < f.x && (r.accuracy as number) > f.y),
          'no variant beats a frontier point',
        );
    assert.equal(rows.filter((r) => r.on_frontier).length, frontier.points.length);
    const json = JSON.parse(readFileSync(join(o.out, 'd.json'), 'utf8')) as ExperimentResult;
    assert.equal(json.machine.cores > 0, true);
  });
});
