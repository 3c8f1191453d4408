/**
 * What the experiments share: the settings of a full and a quick study, preset runs trained for one time
 * budget each (experiment A's runs, reused by B–D), their compressed variants scored on each run's test split,
 * and served latency. Every step is cached in the work folder under a stamp of its settings, so running the
 * experiments one by one trains and compresses once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import type { TlcModelJson } from '../../src/model-folder/tlc-json.js';
import { LOG_FILE } from '../../src/run-folder/files.js';
import { readLog as readRunLog } from '../../src/run-folder/log.js';
import type { RunTask } from '../../src/tasks/catalog.js';
import { writeTestSplit } from '../../src/train/run/test-split.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StudyOptions {
  readonly quick: boolean;
  /** Where results (JSON, SVG) go. */
  readonly out: string;
  /** Where runs and model folders are cached. */
  readonly work: string;
  /** MLM presets of experiments A–D (at least four for A). */
  readonly presets: readonly string[];
  /**
   * Trained run folders that experiments B–D compress instead of A's preset runs (quick mode uses the shipped
   * built-in pair: half a minute of training leaves every preset predicting the commonest word, so its
   * variants would all score alike).
   */
  readonly mlmRuns?: readonly string[];
  /** Translation presets of experiment E, trained when `translationRuns` are not there. */
  readonly translationPresets: readonly string[];
  /** Trained translation run folders for experiment E (default: the shipped built-in pair). */
  readonly translationRuns?: readonly string[];
  /** Fine-tuned classifier run folders for experiment F, small and large of each set (default: the shipped ones). */
  readonly classifierRuns?: readonly string[];
  /** Training time per preset. */
  readonly budget: string;
  readonly translationBudget: string;
  readonly evalEvery: number;
  /** Linear warm-up steps of the learning rate. */
  readonly warmup: number;
  readonly batchTokens: number;
  /** More `tlc train` flags for every MLM run (later flags win): e.g. your own --data, a smaller --max-length. */
  readonly trainArgs?: readonly string[];
  /** More `tlc train` flags for every translation run trained here. */
  readonly translationTrainArgs?: readonly string[];
  /** Validation tokens per MLM evaluation during training. */
  readonly trainEvalTokens: number;
  /** Test-split tokens each variant is scored on. */
  readonly evalTokens: number;
  /** Magnitude-pruning fractions of experiment B. */
  readonly pruneSweep: readonly number[];
  /** Latency timing per variant: seconds after the minimum runs. */
  readonly latencySeconds: number;
  readonly threads: number;
  readonly log: (message: string) => void;
}

/** The built-in translation pair (trained side by side for the same budget), shipped in models/. */
const BUILTIN_TRANSLATION = ['enfr-small', 'enfr-large'].map((n) => join(ROOT, 'models', n));

/**
 * The classifier pairs fine-tuned from the MLM pair side by side (scripts/train-builtin.ts): the shipped spam pair,
 * and the sotu-party pair, which is not shipped (naive Bayes beats both) and is read from runs/builtin.
 */
const BUILTIN_CLASSIFIERS = [
  ...['spam-small', 'spam-large'].map((n) => join(ROOT, 'models', n)),
  ...['party-small', 'party-large'].map((n) => join(ROOT, 'runs', 'builtin', n)),
];

export const FULL: Omit<StudyOptions, 'out' | 'work' | 'log'> = {
  quick: false,
  presets: ['tiny', 'small', 'deep', 'medium'],
  translationPresets: ['tiny', 'small'],
  translationRuns: BUILTIN_TRANSLATION,
  classifierRuns: BUILTIN_CLASSIFIERS,
  budget: '10m',
  translationBudget: '15m',
  evalEvery: 100,
  warmup: 100,
  batchTokens: 2048,
  trainEvalTokens: 16384,
  evalTokens: 65536,
  pruneSweep: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  latencySeconds: 3,
  threads: 2,
};

export const QUICK: Omit<StudyOptions, 'out' | 'work' | 'log'> = {
  quick: true,
  presets: ['tiny', 'small', 'deep', 'medium'],
  mlmRuns: ['mlm-small', 'mlm-large'].map((n) => join(ROOT, 'models', n)),
  translationPresets: ['tiny', 'small'],
  translationRuns: BUILTIN_TRANSLATION,
  classifierRuns: BUILTIN_CLASSIFIERS,
  budget: '30s',
  translationBudget: '30s',
  evalEvery: 5,
  warmup: 10,
  batchTokens: 1024,
  trainEvalTokens: 2048,
  evalTokens: 8192,
  pruneSweep: [0.3, 0.6, 0.9],
  latencySeconds: 0.3,
  threads: 2,
};

/** Recipes every MLM preset is compressed with: B's sweep, C's quantizers, D's combinations. */
export function mlmRecipes(o: StudyOptions): string[] {
  return [
    ...o.pruneSweep.map((p) => `prune:${p}`),
    'int8',
    'q8',
    'q4',
    'prune:0.5+int8',
    'heads:0.25+ffn:0.5+int8',
  ];
}

export const TRANSLATION_RECIPES = ['int8', 'q4', 'prune:0.5+int8'];

/** Recipes of experiment F: B–D's (the pruning sweep, the quantizers, the served combinations) without q8. */
export function classifierRecipes(o: StudyOptions): string[] {
  return mlmRecipes(o).filter((r) => r !== 'q8');
}

/**
 * Runs `tlc <args>` (the TypeScript sources, as the experiments run from a checkout) and returns its command;
 * its standard output is shown with `show`, else dropped (progress and errors always reach stderr).
 */
export function tlc(o: StudyOptions, args: readonly string[], show = false): string {
  const command = `tlc ${args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) : a)).join(' ')}`;
  o.log(`$ ${command}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'tlc.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', show ? 'inherit' : 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${command} failed (exit ${r.status ?? r.signal})`);
  return command;
}

function stamped(dir: string, key: string): boolean {
  const file = join(dir, '.study');
  return existsSync(file) && readFileSync(file, 'utf8') === key;
}

function stamp(dir: string, key: string): void {
  writeFileSync(join(dir, '.study'), key);
}

export interface LogEntry {
  readonly step: number;
  readonly seconds: number;
  readonly tokens: number;
  readonly validation?: { readonly perplexity?: number; readonly accuracy?: number; readonly bleu?: number };
}

export interface PresetRun {
  readonly preset: string;
  readonly task: RunTask;
  readonly dir: string;
  readonly log: readonly LogEntry[];
  readonly command: string;
}

function readLog(dir: string): LogEntry[] {
  return readRunLog(join(dir, LOG_FILE));
}

/** Trains (or finds) one run per preset for the same time budget, one after another with the same threads. */
export function presetRuns(o: StudyOptions, task: 'mlm' | 'translation'): PresetRun[] {
  const presets = task === 'mlm' ? o.presets : o.translationPresets;
  return presets.map((preset) => {
    const dir = join(o.work, 'runs', `${task}-${preset}`);
    const args = [
      'train',
      '--task',
      task,
      '--corpus',
      task === 'mlm' ? 'english' : 'en-fr',
      '--preset',
      preset,
      '--max-length',
      '128',
      // Positions, LayerNorm placement and the learning rate come from the recipe for each preset's size.
      '--dropout',
      task === 'mlm' ? '0' : '0.1',
      '--warmup',
      String(o.warmup),
      '--batch-tokens',
      String(o.batchTokens),
      '--time-budget',
      task === 'mlm' ? o.budget : o.translationBudget,
      '--eval-every',
      String(o.evalEvery),
      '--eval-tokens',
      String(o.trainEvalTokens),
      '--eval-sentences',
      o.quick ? '20' : '100',
      '--threads',
      String(o.threads),
      '--seed',
      '1',
      ...((task === 'mlm' ? o.trainArgs : o.translationTrainArgs) ?? []),
      '--out',
      dir,
    ];
    const key = JSON.stringify(args.slice(0, -1));
    let command = `tlc ${args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) : a)).join(' ')}`;
    if (!stamped(dir, key)) {
      rmSync(dir, { recursive: true, force: true });
      command = tlc(o, args);
      stamp(dir, key);
    } else o.log(`${task}-${preset}: trained already (${relative(ROOT, dir)})`);
    return { preset, task, dir, log: readLog(dir), command };
  });
}

/** A trained run folder given by path (a shipped built-in model or your own run) as a PresetRun. */
export function givenRun(dir: string, task: RunTask): PresetRun {
  if (!existsSync(join(dir, 'run.json'))) throw new Error(`${dir} is not a trained run folder (no run.json)`);
  // A shipped model keeps its command inside; scripts/train-builtin.ts writes it beside the run folder.
  const file = [join(dir, 'train.command'), `${dir}.command`].find((f) => existsSync(f));
  const command =
    file === undefined ? `(trained run ${relative(ROOT, dir)})` : readFileSync(file, 'utf8').trim();
  return {
    preset: basename(dir),
    task,
    dir,
    log: existsSync(join(dir, 'log.jsonl')) ? readLog(dir) : [],
    command,
  };
}

/** The runs experiments B–D compress: the given ones, else A's preset runs. */
export function mlmStudyRuns(o: StudyOptions): PresetRun[] {
  return o.mlmRuns?.length ? o.mlmRuns.map((d) => givenRun(d, 'mlm')) : presetRuns(o, 'mlm');
}

/** The runs experiment E compresses: the given ones when they all exist, else translation presets trained here. */
export function translationStudyRuns(o: StudyOptions): PresetRun[] {
  const given = o.translationRuns ?? [];
  if (given.length > 0 && given.every((d) => existsSync(join(d, 'run.json'))))
    return given.map((d) => givenRun(d, 'translation'));
  return presetRuns(o, 'translation');
}

/** What identifies a run's weights and settings, for the compressed variants' cache. */
function runKey(run: PresetRun): string {
  const h = createHash('sha256');
  for (const f of ['.study', 'run.json', 'best.safetensors'])
    if (existsSync(join(run.dir, f))) h.update(readFileSync(join(run.dir, f)));
  return h.digest('hex').slice(0, 16);
}

export interface Variants {
  readonly folder: string;
  readonly tlc: TlcModelJson;
  /** The test split the variants were scored on. */
  readonly evalData: string;
}

/** The model folder name of a run's variants: the preset run's own name (mlm-tiny) or the given folder's. */
function variantsName(run: PresetRun): string {
  return run.task === 'classify' || run.preset.startsWith(`${run.task}-`) || run.preset.startsWith('enfr-')
    ? run.preset
    : `${run.task}-${run.preset}`;
}

/** export-and-compress of a run with `recipes`, every variant scored on the run's test split (cached). */
export async function compressedVariants(
  o: StudyOptions,
  run: PresetRun,
  recipes: readonly string[],
): Promise<Variants> {
  const folder = join(o.work, 'models', variantsName(run));
  const evalData = (await writeTestSplit(run.dir, join(o.work, 'eval', variantsName(run)))).file;
  const key = JSON.stringify({
    recipes,
    evalTokens: o.evalTokens,
    run: runKey(run),
  });
  if (!stamped(folder, key)) {
    o.log(`${variantsName(run)}: export and compress (${recipes.join(', ')})`);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(dirname(folder), { recursive: true });
    await compress(run.dir, folder, {
      recipes: recipes.map(parseRecipe),
      evalData,
      evalTokens: o.evalTokens,
      threads: o.threads,
      batch: 1,
      sequence: 32,
      log: () => {},
    });
    stamp(folder, key);
  }
  const tlcJson = JSON.parse(readFileSync(join(folder, 'tlc.json'), 'utf8')) as TlcModelJson;
  return { folder, tlc: tlcJson, evalData };
}

/** The `export-and-compress` command equivalent to compressedVariants, for the record. */
export function compressCommand(
  o: StudyOptions,
  run: PresetRun,
  recipes: readonly string[],
  evalData: string,
): string {
  const rel = (p: string) => relative(ROOT, p);
  return (
    `export-and-compress ${rel(run.dir)} --out ${rel(join(o.work, 'models', variantsName(run)))} ` +
    `${recipes.map((r) => `--recipe ${r}`).join(' ')} --eval-data ${rel(evalData)} --eval-tokens ${o.evalTokens} ` +
    `--threads ${o.threads} --batch 1 --sequence 32`
  );
}
