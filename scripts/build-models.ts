/**
 * models:build — makes the served model folders from models/manifest.json: for each model, a run (a shipped
 * checkpoint in models/<name>/, or trained here with the manifest's `tlc train` flags), then
 * `export-and-compress` with its recipes into <cache>/<name>, every variant scored on the run's test split
 * (MLM accuracy and perplexity, or BLEU and chrF), so that `GET /v1/models` and `variant=auto` have real
 * numbers. A folder whose source hash (checkpoint bytes or training settings, plus recipes) is unchanged is
 * kept; anything else is rebuilt. Runs the built CLI, so the commands are exactly the documented ones.
 * With --fp32-first (what `npm start` uses, beside `tlc serve --watch`), every model to build is first exported
 * alone (`tlc export`: its fp32 folder, seconds each), so that the server answers with it, and only then
 * compressed and scored model by model, each folder replaced as a whole when its variants are done.
 *   node --import tsx scripts/build-models.ts [--cache .cache] [--only name] [--force] [--fp32-first]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRecipe } from '../src/compress/recipe.js';
import { writeBuilding } from '../src/model-folder/building.js';
import { writeTestSplit } from '../src/train/run/test-split.js';

interface ManifestEntry {
  readonly name: string;
  readonly train: readonly string[];
  readonly recipes: readonly string[];
  /** Another model's run, exported as `as` (an MLM run as a sentence-embedding model). */
  readonly from?: string;
  readonly as?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    cache: { type: 'string', default: join(root, '.cache') },
    only: { type: 'string' },
    force: { type: 'boolean', default: false },
    'fp32-first': { type: 'boolean', default: false },
  },
});
const cache = resolve(flags.cache!);
const manifest = JSON.parse(readFileSync(join(root, 'models', 'manifest.json'), 'utf8')) as {
  models: ManifestEntry[];
};

function run(bin: string, args: readonly string[]): void {
  const cli = join(root, 'dist', 'cli', bin);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  process.stderr.write(`$ ${bin.replace('.js', '')} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** The shipped checkpoint folder of a model, if any (a run folder: run.json, tokenizer, best.safetensors). */
function shipped(name: string): string | undefined {
  const dir = join(root, 'models', name);
  return existsSync(join(dir, 'run.json')) ? dir : undefined;
}

function sourceHash(entry: ManifestEntry, source: string | undefined): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({ train: entry.train, recipes: entry.recipes, as: entry.as, scored: 'test-split' }),
  );
  if (source !== undefined)
    for (const f of ['run.json', 'tokenizer.json', 'best.safetensors']) {
      if (existsSync(join(source, f))) h.update(readFileSync(join(source, f)));
    }
  return h.digest('hex').slice(0, 16);
}

interface Pending {
  readonly entry: ManifestEntry;
  readonly key: string;
  readonly out: string;
  readonly runDir: string;
}

/** The models to build (their folder's stamp differs from their source hash), each with its run, trained if need be. */
function pending(): Pending[] {
  const todo: Pending[] = [];
  for (const entry of manifest.models) {
    if (flags.only !== undefined && entry.name !== flags.only) continue;
    const source = shipped(entry.from ?? entry.name);
    const key = sourceHash(entry, source);
    const out = join(cache, 'models', entry.name);
    const stamp = join(out, '.tlc-source');
    if (!flags.force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === key) {
      process.stderr.write(`${entry.name}: up to date (${key})\n`);
      continue;
    }
    let runDir = source;
    if (runDir === undefined) {
      runDir = join(cache, 'runs', entry.name);
      const runStamp = join(runDir, '.tlc-source');
      if (flags.force || !existsSync(runStamp) || readFileSync(runStamp, 'utf8').trim() !== key) {
        rmSync(runDir, { recursive: true, force: true });
        process.stderr.write(`${entry.name}: training (no shipped checkpoint)\n`);
        run('tlc.js', ['train', ...entry.train, '--out', runDir]);
        writeFileSync(runStamp, `${key}\n`);
      }
    }
    todo.push({ entry, key, out, runDir });
  }
  return todo;
}

const asFlags = (entry: ManifestEntry) => (entry.as === undefined ? [] : ['--as', entry.as]);

/** What export-and-compress starts from: the run, or (exported as another task) its folder exported first. */
function compressSource(entry: ManifestEntry, runDir: string): string {
  if (entry.as === undefined) return runDir;
  const folder = join(cache, 'sources', entry.name);
  mkdirSync(dirname(folder), { recursive: true });
  run('tlc.js', ['export', runDir, '--out', folder, '--force', ...asFlags(entry)]);
  return folder;
}

const todo = pending();
if (flags['fp32-first'])
  for (const { entry, out, runDir } of todo) {
    // The fp32 folder alone, without the stamp: served at once, rebuilt whole below (and at the next start if
    // this one is interrupted).
    mkdirSync(dirname(out), { recursive: true });
    process.stderr.write(`${entry.name}: export fp32 first\n`);
    run('tlc.js', ['export', runDir, '--out', out, '--force', ...asFlags(entry)]);
    // GET /v1/models lists the variants to come as `building` until the compressed folder replaces this one.
    writeBuilding(
      out,
      entry.recipes.map((r) => parseRecipe(r).suffix),
    );
  }
for (const { entry, key, out, runDir } of todo) {
  mkdirSync(dirname(out), { recursive: true });
  const evalData = await writeTestSplit(runDir, join(cache, 'eval', entry.name));
  process.stderr.write(`${entry.name}: export and compress (${entry.recipes.join(', ')})\n`);
  run('export-and-compress.js', [
    compressSource(entry, runDir),
    '--out',
    out,
    '--force',
    '--eval-data',
    evalData.file,
    ...(evalData.task === 'mlm' ? ['--eval-tokens', '131072'] : []),
    ...entry.recipes.flatMap((r) => ['--recipe', r]),
  ]);
  writeFileSync(join(out, '.tlc-source'), `${key}\n`);
}

// Folders this script built for models the manifest no longer lists (they carry its stamp) would still be served
// by `tlc serve --models <cache>/models`: remove them. Folders without the stamp are someone else's and stay.
if (flags.only === undefined && existsSync(join(cache, 'models'))) {
  const listed = new Set(manifest.models.map((m) => m.name));
  for (const name of readdirSync(join(cache, 'models'))) {
    const dir = join(cache, 'models', name);
    if (!listed.has(name) && existsSync(join(dir, '.tlc-source'))) {
      process.stderr.write(`${name}: no longer in models/manifest.json; removing ${dir}\n`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
