/**
 * What servable.ts checks, gathered from the source as the user gave it — a model folder (tlc.json, or another
 * tool's layout) or a bare .onnx with --config / --tokenizer — before anything is copied or decoded: graphs are
 * skimmed (onnx/skim.ts), so a refusal of a 440 MB model takes a fraction of a second. A TLC run is not checked:
 * its export is TLC's own. A source that is no model at all is left to prepareSource, which says why.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { detectTask } from '../model-folder/detect-task.js';
import { hfFactsOf, readHfConfig } from '../model-folder/hf-facts.js';
import { findLayout, type GraphLayout, layoutFiles } from '../model-folder/layout.js';
import { readTlcJson } from '../model-folder/read.js';
import { isServedTask, type TlcModelJson } from '../model-folder/tlc-json.js';
import type { Graph } from '../onnx/ir.js';
import { skimGraph } from '../onnx/skim.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import type { SourceOptions } from './prepare-source.js';
import { checkServable } from './servable.js';

/** The source's fp32 graph files (relative to a folder source) and what says its task. */
type SourceGraphs =
  | { readonly kind: 'tlc'; readonly files: readonly string[]; readonly tlc: TlcModelJson }
  | { readonly kind: 'layout'; readonly files: readonly string[]; readonly layout: GraphLayout };

function sourceGraphs(source: string): SourceGraphs | undefined {
  const tlc = readTlcJson(source);
  if (tlc !== undefined) {
    const base = tlc.variants.find((v) => v.recipe.length === 0) ?? tlc.variants[0];
    return base === undefined ? undefined : { kind: 'tlc', files: base.files, tlc };
  }
  const found = findLayout(source);
  return found.ok ? { kind: 'layout', files: layoutFiles(found.layout), layout: found.layout } : undefined;
}

/** A companion file: the flag's (which must exist), else the folder's own when it has one. */
function companion(
  flagged: string | undefined,
  flag: string,
  beside: string | undefined,
): string | undefined {
  if (flagged !== undefined) {
    if (!existsSync(flagged)) throw new TlcError('CLI_USAGE', `${flag} ${flagged}: no such file`);
    return flagged;
  }
  return beside !== undefined && existsSync(beside) ? beside : undefined;
}

/** Refuses (MODEL_NOT_SERVABLE, with the fix) a source whose compressed folder the server could not serve. */
export async function preflight(source: string, options: SourceOptions): Promise<void> {
  if (!existsSync(source) || source.endsWith('.safetensors')) return;
  const isDir = statSync(source).isDirectory();
  if (isDir && existsSync(join(source, 'run.json'))) return;
  if (!isDir && !source.endsWith('.onnx')) return;
  const found: SourceGraphs | undefined = isDir
    ? sourceGraphs(source)
    : { kind: 'layout', files: [source], layout: { kind: 'single', model: source } };
  const paths = found?.files.map((f) => (isDir ? join(source, f) : f)) ?? [];
  // A missing graph is reported where the folder is read (prepareSource), like any other broken folder.
  if (found === undefined || !paths.every((p) => existsSync(p))) return;
  const graphs: Graph[] = paths.map(skimGraph);
  const configPath = companion(options.config, '--config', isDir ? join(source, 'config.json') : undefined);
  const config = configPath === undefined ? undefined : readHfConfig(configPath);
  const tokenizerPath = companion(
    options.tokenizer,
    '--tokenizer',
    isDir ? join(source, 'tokenizer.json') : undefined,
  );
  const tokenizerVocab =
    tokenizerPath === undefined ? undefined : (await Tokenizer.fromFile(tokenizerPath)).vocabSize;
  const task =
    found.kind === 'tlc'
      ? found.tlc.task
      : detectTask(config && hfFactsOf(config), found.layout, graphs[0]!).task;
  checkServable({
    source,
    bareOnnx: !isDir,
    served: isServedTask(task),
    files: found.files,
    graphs,
    ...(config !== undefined && { config }),
    ...(tokenizerVocab !== undefined && { tokenizerVocab }),
    ...(options.dynamicAxes === true && { dynamicAxes: true }),
  });
}
