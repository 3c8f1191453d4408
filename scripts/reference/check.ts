/**
 * `npm run check:reference [-- --run RUN]`: TLC's MLM loss and gradients against an independent PyTorch
 * implementation (torch_encoder.py), for every position scheme with post- and pre-LayerNorm, or for one run's
 * encoder and first batch. For the next time a training curve looks wrong: if this passes, the engine computes
 * what PyTorch computes, and the recipe is the place to look. Needs python3 with torch (not a CI dependency).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { POSITION_SCHEMES } from '../../src/models/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: { run: { type: 'string' }, tolerance: { type: 'string', default: '1e-4' } },
});

/** $PYTHON, else the first python3 with torch: the one on PATH, then Debian's (python3-torch installs there). */
const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
let python = '';
let version = '';
for (const candidate of candidates) {
  const probe = spawnSync(candidate, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) {
    python = candidate;
    version = probe.stdout.trim();
    break;
  }
}
if (python === '') {
  process.stderr.write(
    'check:reference needs python3 with PyTorch and NumPy, which are not installed here.\n' +
      'On Debian / Ubuntu:  sudo apt-get install python3-torch python3-numpy\n' +
      'Elsewhere:           python3 -m pip install torch numpy   (or set PYTHON to an interpreter that has them)\n',
  );
  process.exit(2);
}
process.stdout.write(`PyTorch ${version} (${python})\n`);

const cases: string[][] = flags.run
  ? [['--run', flags.run]]
  : POSITION_SCHEMES.flatMap((p) => [
      ['--positions', p],
      ['--positions', p, '--pre-ln'],
    ]);
let failed = 0;
for (const args of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'tlc-reference-'));
  try {
    const dump = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(here, 'dump-encoder.ts'), '--out', dir, ...args],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (dump.status !== 0) {
      failed++;
      continue;
    }
    const check = spawnSync(python, [join(here, 'torch_encoder.py'), dir, '--tolerance', flags.tolerance!], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (check.status !== 0) failed++;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(
  failed === 0
    ? `all ${cases.length} checks agree with PyTorch within ${flags.tolerance}\n`
    : `${failed} of ${cases.length} checks disagree with PyTorch\n`,
);
process.exit(failed === 0 ? 0 : 1);
