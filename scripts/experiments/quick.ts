/**
 * bench:quick — experiments A–D in quick mode (four presets trained for 30 s each; B–D compress, score and time
 * the shipped fill-mask pair) and `tlc bench` on the built-in mlm-large against mlm-small (--model DIR for another), in a few minutes; then checks that every plot shows
 * exactly its results' series and that no series is empty or constant. Results and plots go to
 * .cache/experiments/quick/results (or --out).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { experimentA } from './exp-a.js';
import { experimentB } from './exp-b.js';
import { experimentC } from './exp-c.js';
import { experimentD } from './exp-d.js';
import { resultProblems } from './results.js';
import { STUDY_FLAGS, studyOptions } from './run.js';
import { ROOT, tlc } from './study.js';

const t0 = performance.now();
const { values: flags } = parseArgs({ options: { ...STUDY_FLAGS, model: { type: 'string' } } });
const o = studyOptions({ ...flags, quick: true }, (m) => process.stderr.write(`${m}\n`));
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
for (const [id, run] of [
  ['a', experimentA],
  ['b', experimentB],
  ['c', experimentC],
  ['d', experimentD],
] as const) {
  const r = await run(o);
  process.stderr.write(
    `experiment ${id.toUpperCase()} done at ${elapsed()}: ${r.plots.map((p) => p.file).join(', ')}\n`,
  );
}

// The bench on the built-in pair (built first if this checkout has not built them yet): every variant of
// mlm-large beside mlm-small's fp32.
const models = flags.model
  ? [flags.model]
  : ['mlm-large', 'mlm-small'].map((n) => join(ROOT, '.cache', 'models', n));
for (const m of flags.model ? [] : models)
  if (!existsSync(join(m, 'tlc.json'))) {
    const name = basename(m);
    process.stderr.write(`building the built-in ${name} first (npm run models:build -- --only ${name})\n`);
    const r = spawnSync('npm', ['run', 'models:build', '--', '--only', name], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('models:build failed');
  }
const against = models.length > 1 ? ['--against', models[1]!] : [];
tlc(
  o,
  [
    'bench',
    models[0]!,
    ...against,
    '--batches',
    '1,8',
    '--lengths',
    '32,128',
    '--seconds',
    '0.5',
    '--out',
    join(o.out, 'bench'),
  ],
  true,
);
process.stderr.write(`tlc bench done at ${elapsed()}: ${join(o.out, 'bench')}\n`);

const problems = (['a', 'b', 'c', 'd'] as const).flatMap((id) => resultProblems(o.out, id));
if (problems.length > 0) {
  process.stderr.write(`problems:\n  ${problems.join('\n  ')}\n`);
  process.exitCode = 1;
} else
  process.stdout.write(`bench:quick: A–D and tlc bench in ${elapsed()}; results and plots in ${o.out}\n`);
