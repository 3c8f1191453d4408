/**
 * A tiny trained fill-mask model folder for server tests: trained for seconds on counting text (a masked
 * word follows from its neighbours, so top-1 answers are predictable), exported, and compressed to int8.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { countingText, tinyRun } from './train.js';

export const COMPASS = ['north', 'east', 'south', 'west', 'up', 'down', 'left', 'right', 'in', 'out'];

/** Trains under `dir` and writes the model folder `dir/<name>` with variants fp32 and int8. */
export async function trainTinyFillMask(dir: string, name = 'mlm', steps = 2000): Promise<string> {
  writeFileSync(
    join(dir, 'train.txt'),
    countingText(Rng.seeded(3), COMPASS, 300, () => 30),
  );
  const run = join(dir, 'mlm-run');
  await runTraining(
    tinyRun({
      evalEvery: String(steps),
      evalTokens: '1024',
      evalSentences: '10',
      width: '32',
      data: [join(dir, 'train.txt')],
      maxSteps: String(steps),
      out: run,
    }),
    { log: () => {} },
  );
  const out = join(dir, name);
  await compress(run, out, { recipes: [parseRecipe('int8')], batch: 2, sequence: 16, threads: 1 });
  return out;
}
