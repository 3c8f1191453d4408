/**
 * Trains a pair of built-in models (small and large, ≥ 8× the small one's non-embedding parameters) for the
 * same wall-clock budget, side by side with one ONNX Runtime thread each, so that both get the same share of
 * this 2-core machine for the same time: the paper's comparison at equal compute time.
 *   node --import tsx scripts/train-builtin.ts --task mlm|translation|spam|party [--budget 60m] [--out runs/builtin]
 * (spam and party: classifiers fine-tuned from the shipped mlm-small and mlm-large on spam-assassin and sotu-party.)
 * Each run folder gets the `tlc train` log, checkpoints and summary; the commands are printed and written to
 * <out>/<name>.command so that the model cards quote them exactly.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    task: { type: 'string', default: 'mlm' },
    budget: { type: 'string', default: '60m' },
    out: { type: 'string', default: 'runs/builtin' },
  },
});

/** The pairs: shared settings per task, then the two sizes. */
const PAIRS: Record<string, { shared: string[]; models: Record<string, string[]> }> = {
  // The recipe's settings (src/train/run/recipe.ts, docs/training.md) written out, so that the commands the
  // model cards quote stay what was run if the defaults change.
  mlm: {
    shared: [
      '--task',
      'mlm',
      '--corpus',
      'english',
      '--max-length',
      '128',
      '--dropout',
      '0',
      '--positions',
      'alibi',
      '--post-ln',
      '--warmup',
      '100',
    ],
    models: {
      // 2 × 128: 0.42M non-embedding parameters.
      'mlm-small': ['--preset', 'tiny', '--lr', '2e-3'],
      // 6 × 256: 4.8M non-embedding parameters (11×).
      'mlm-large': ['--layers', '6', '--width', '256', '--heads', '4', '--ffn', '1024', '--lr', '1.4e-3'],
    },
  },
  translation: {
    shared: [
      '--task',
      'translation',
      '--corpus',
      'en-fr',
      '--max-length',
      '128',
      '--dropout',
      '0.3',
      '--positions',
      'learned',
      '--post-ln',
      '--warmup',
      '400',
      '--label-smoothing',
      '0.1',
      '--eval-sentences',
      '100',
    ],
    models: {
      // 2 + 2 layers × 128: 0.93M non-embedding parameters.
      'enfr-small': ['--preset', 'tiny', '--lr', '1e-3'],
      // 5 + 5 layers × 256: 9.2M non-embedding parameters (9.9×).
      'enfr-large': ['--layers', '5', '--width', '256', '--heads', '4', '--ffn', '1024', '--lr', '7.1e-4'],
    },
  },
  spam: classifierPair('spam', 'spam-assassin'),
  party: classifierPair('party', 'sotu-party'),
};

/**
 * A pair of classifiers fine-tuned from the shipped MLM pair on a built-in set: the classify recipe's rate
 * (5e-4 at width 128, × √(128 / width)), warm-up and dropout, written out.
 */
function classifierPair(name: string, data: string): { shared: string[]; models: Record<string, string[]> } {
  return {
    shared: ['--task', 'classify', '--data', data, '--dropout', '0.1', '--warmup', '100'],
    models: {
      [`${name}-small`]: ['--init', 'mlm-small', '--lr', '5e-4'],
      [`${name}-large`]: ['--init', 'mlm-large', '--lr', '3.5e-4'],
    },
  };
}

const pair = PAIRS[flags.task!];
if (pair === undefined) {
  process.stderr.write(`--task must be one of ${Object.keys(PAIRS).join(', ')}\n`);
  process.exit(2);
}
const out = resolve(flags.out!);
mkdirSync(out, { recursive: true });
const cli = join(root, 'dist', 'cli', 'tlc.js');
const runs = Object.entries(pair.models).map(([name, size]) => {
  const args = [
    'train',
    ...pair.shared,
    ...size,
    '--time-budget',
    flags.budget!,
    '--eval-every',
    '500',
    '--threads',
    '1',
    '--seed',
    '1',
    '--out',
    join(out, name),
  ];
  const command = `tlc ${args.join(' ')}`.replace(out, flags.out!);
  writeFileSync(join(out, `${name}.command`), `${command}\n`);
  process.stderr.write(`${name}: ${command}\n`);
  const log = openSync(join(out, `${name}.log`), 'w');
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', log, log] });
  return new Promise<void>((done, fail) =>
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${name} exited with ${code}`)))),
  );
});
await Promise.all(runs);
process.stderr.write(`done: ${Object.keys(pair.models).join(', ')} in ${out}\n`);
