/**
 * Copies a trained run into models/<name> for shipping in the repository: its settings (run.json, with the
 * output folder made relative), tokenizer files, log and summary, and the best checkpoint packed as float16
 * parameters only (packCheckpoint: a quarter of the bytes). `npm run models:build` exports and compresses it.
 *   node --import tsx scripts/ship-model.ts <run-dir> <models/name>
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BEST_FILE } from '../src/run-folder/files.js';
import { packCheckpoint } from '../src/train/checkpoint.js';

const [run, dest] = process.argv.slice(2);
if (run === undefined || dest === undefined) {
  process.stderr.write('usage: ship-model.ts <run-dir> <models/name>\n');
  process.exit(2);
}
mkdirSync(dest, { recursive: true });
const settings = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, unknown>;
settings.out = relative(process.cwd(), resolve(dest));
writeFileSync(join(dest, 'run.json'), `${JSON.stringify(settings, null, 2)}\n`);
for (const f of ['tokenizer.json', 'tokenizer_config.json', 'summary.json', 'log.jsonl', 'data.json']) {
  if (existsSync(join(run, f))) copyFileSync(join(run, f), join(dest, f));
}
// The exact training command, as scripts/train-builtin.ts recorded it beside the run folder.
const command = `${resolve(run)}.command`;
if (existsSync(command)) copyFileSync(command, join(dest, 'train.command'));
// The checkpoint's copy of the settings names the run folder too: the same relative path, no machine's paths.
const bytes = packCheckpoint(join(run, BEST_FILE), join(dest, BEST_FILE), {
  config: (config) => ({ ...(config as Record<string, unknown>), out: settings.out }),
});
const before = statSync(join(run, BEST_FILE)).size;
process.stderr.write(
  `${dest}: ${BEST_FILE} ${(bytes / 2 ** 20).toFixed(1)} MiB (float16 parameters; the run's was ${(before / 2 ** 20).toFixed(1)} MiB)\n`,
);
