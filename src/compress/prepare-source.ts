/**
 * The first step of export-and-compress: the source, whatever it is, made into an fp32 model folder at --out.
 */
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { TlcError } from '../errors/index.js';
import { exportRun } from '../export/export-run.js';
import { readForeignModel } from '../model-folder/foreign.js';
import { STATIC_SHAPES_FIX } from '../model-folder/graph-facts.js';
import { findLayout } from '../model-folder/layout.js';
import { readTlcJson } from '../model-folder/read.js';
import type { TlcModelJson } from '../model-folder/tlc-json.js';
import { externalDataFiles } from '../onnx/file-bytes.js';
import { loadModel, saveModel } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { checkSymbolicAxes, symbolicAxes } from './dynamic-axes.js';
import { widenFloat16 } from './quantize/widen-float16.js';

/** How the source is brought in. */
export interface SourceOptions {
  /** Replace --out when it exists. */
  readonly force?: boolean;
  /** A bare .onnx source: the Hugging Face config.json and tokenizer.json to put beside it. */
  readonly config?: string;
  readonly tokenizer?: string;
  /**
   * Make fixed batch and sequence input axes symbolic (dynamic-axes.ts) instead of refusing the source: the
   * server batches requests of any size and length. Checked by running the graph at two other shapes.
   */
  readonly dynamicAxes?: boolean;
  /**
   * A feature-extraction model whose graph outputs token states: the pooling to write beside it (cls, max, mean,
   * mean_sqrt_len), as sentence-transformers' modules.json and 1_Pooling/config.json.
   */
  readonly pooling?: string;
}

/** The source's extra files for a bare .onnx: config.json, and tokenizer.json with its tokenizer_config.json. */
function copyCompanions(out: string, o: SourceOptions): void {
  const copy = (from: string, name: string, flag: string) => {
    if (!existsSync(from)) throw new TlcError('CLI_USAGE', `${flag} ${from}: no such file`);
    cpSync(from, join(out, name));
  };
  if (o.config !== undefined) copy(o.config, 'config.json', '--config');
  if (o.tokenizer !== undefined) {
    copy(o.tokenizer, 'tokenizer.json', '--tokenizer');
    const beside = join(dirname(o.tokenizer), 'tokenizer_config.json');
    if (existsSync(beside)) cpSync(beside, join(out, 'tokenizer_config.json'));
  }
}

/**
 * Brings the source into `out` as an fp32 model folder and returns its tlc.json: a TLC run is exported, a TLC
 * model folder copied, a folder from another tool (Optimum's layouts) copied and read (foreign.ts), a bare .onnx
 * put at onnx/model.onnx with --config / --tokenizer beside it.
 */
/** Refuses an output folder inside the source folder (copying the source would copy the output into itself). */
export function checkOutside(source: string, out: string): void {
  if (!existsSync(source) || !statSync(source).isDirectory()) return;
  const inside = relative(resolve(source), resolve(out));
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside)))
    throw new TlcError('CLI_USAGE', `--out ${out} is inside the source folder ${source}; write it elsewhere`);
}

/** The prepared folder's tlc.json, and the graphs already read while preparing it (by file). */
export interface PreparedSource {
  readonly tlc: TlcModelJson;
  readonly loaded: ReadonlyMap<string, Model>;
}

export async function prepareSource(
  source: string,
  out: string,
  options: SourceOptions,
): Promise<PreparedSource> {
  if (!existsSync(source)) throw new TlcError('ONNX_READ_FAILED', `${source}: no such file or folder`);
  if (existsSync(out) && !options.force)
    throw new TlcError('EXPORT_FAILED', `${out} already exists; choose another --out or pass --force`);
  if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  const isDir = statSync(source).isDirectory();
  checkOutside(source, out);
  if ((isDir && existsSync(join(source, 'run.json'))) || source.endsWith('.safetensors'))
    return { tlc: (await exportRun(source, out)).tlc, loaded: new Map() };
  if (isDir) {
    const tlc = readTlcJson(source);
    if (tlc === undefined) {
      const found = findLayout(source);
      if (!found.ok)
        throw new TlcError('ONNX_READ_FAILED', `${source}: not a TLC run or a model folder: ${found.reason}`);
    }
    cpSync(source, out, { recursive: true });
    copyCompanions(out, options);
    if (tlc !== undefined) return { tlc, loaded: new Map() };
    const foreign = readForeignModel(out);
    return { tlc: foreign.tlc, loaded: foreign.models };
  }
  const model = loadModel(source);
  mkdirSync(join(out, 'onnx'), { recursive: true });
  saveModel(model, join(out, 'onnx', 'model.onnx'));
  copyCompanions(out, options);
  const foreign = readForeignModel(out, model);
  return { tlc: foreign.tlc, loaded: foreign.models };
}

/**
 * The prepared folder's fp32 graphs, loaded (preflight.ts has checked them). A half-precision source is widened to
 * float32 here and written back, so that the recipes quantize real float32 weights and the fp32 variant is what
 * its name says.
 */
export function float32Baseline(
  out: string,
  prepared: PreparedSource & { readonly files: readonly string[] },
  log: (message: string) => void,
): Model[] {
  // Graphs prepareSource read already are not decoded twice.
  const models = prepared.files.map((f) => prepared.loaded.get(f) ?? loadModel(join(out, f)));
  return models.map((model, i) => {
    const file = prepared.files[i]!;
    const { graph, changes } = widenFloat16(model.graph);
    if (changes.length === 0) return model;
    const widened = { ...model, graph };
    rewriteBaseline(out, file, widened);
    log(`${file}: ${changes[0]!.detail} (the fp32 baseline and the recipes start from float32)`);
    return widened;
  });
}

/** Writes a rewritten fp32 graph back over its file, leaving no unused external data behind. */
function rewriteBaseline(out: string, file: string, model: Model): void {
  const path = join(out, file);
  const before = externalDataFiles(path);
  saveModel(model, path);
  // Rewritten under 2 GiB, the graph is written inline: its old external data would ship unused.
  const after = new Set(externalDataFiles(path));
  for (const data of before) if (!after.has(data)) rmSync(join(dirname(path), data), { force: true });
}

/**
 * --dynamic-axes: the baseline's fixed batch and sequence input axes made symbolic (dynamic-axes.ts), each file
 * written back and run at two other shapes; a graph that bakes the exported shape in (a Reshape constant) is
 * refused with the re-export fix. Returns the models and one line per fix (the log and report.json's
 * sourceFixes say what was changed in the source).
 */
export async function symbolicBaseline(
  out: string,
  files: readonly string[],
  models: readonly Model[],
  vocabSize: number,
  log: (message: string) => void,
): Promise<{ readonly models: Model[]; readonly fixes: string[] }> {
  const fixes: string[] = [];
  const fixed: Model[] = [];
  for (const [i, model] of models.entries()) {
    const file = files[i]!;
    const { graph, changes } = symbolicAxes(model.graph);
    if (changes.length === 0) {
      fixed.push(model);
      continue;
    }
    rewriteBaseline(out, file, { ...model, graph });
    const failure = await checkSymbolicAxes(join(out, file), vocabSize);
    if (failure !== undefined)
      throw new TlcError(
        'MODEL_NOT_SERVABLE',
        `${file}: --dynamic-axes made its batch and sequence axes symbolic, but the graph still fails at another shape (${failure}); fix: ${STATIC_SHAPES_FIX}`,
      );
    const line = `${file}: --dynamic-axes: ${changes.map((c) => `${c.target} ${c.detail}`).join(', ')} (runs at 2 × 5 and 3 × 11)`;
    log(line);
    fixes.push(line);
    fixed.push({ ...model, graph });
  }
  // Said, so that a user who passed the flag for nothing does not believe it changed something.
  if (fixes.length === 0)
    log(`--dynamic-axes: no input of ${files.join(', ')} has a fixed batch or sequence axis`);
  return { models: fixed, fixes };
}
