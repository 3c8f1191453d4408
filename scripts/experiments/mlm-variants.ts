/** The compressed MLM variants of every preset run, with their test-split accuracy, size and non-zero parameters. */
import { join } from 'node:path';
import { countParameters } from '../../src/bench/nonzero.js';
import type { VariantEntry } from '../../src/model-folder/tlc-json.js';
import { loadModel } from '../../src/onnx/io.js';
import {
  compressCommand,
  compressedVariants,
  mlmRecipes,
  mlmStudyRuns,
  type PresetRun,
  type StudyOptions,
  type Variants,
} from './study.js';

export interface ScoredVariant {
  readonly preset: string;
  readonly name: string;
  /** Test-split MLM accuracy, %. */
  readonly accuracy: number;
  readonly perplexity: number;
  readonly megabytes: number;
  readonly nonZero: number;
  readonly parameters: number;
  readonly entry: VariantEntry;
}

export interface PresetVariants {
  readonly run: PresetRun;
  readonly variants: Variants;
  readonly scored: readonly ScoredVariant[];
  readonly commands: readonly string[];
}

/** Parameters and non-zero parameters over a variant's files. */
export function variantCounts(folder: string, v: VariantEntry): { parameters: number; nonZero: number } {
  return v.files
    .map((f) => countParameters(loadModel(join(folder, f))))
    .reduce((a, c) => ({ parameters: a.parameters + c.parameters, nonZero: a.nonZero + c.nonZero }));
}

export async function mlmVariants(o: StudyOptions): Promise<PresetVariants[]> {
  const out: PresetVariants[] = [];
  const recipes = mlmRecipes(o);
  for (const run of mlmStudyRuns(o)) {
    const variants = await compressedVariants(o, run, recipes);
    const scored = variants.tlc.variants.map((v) => {
      const counts = variantCounts(variants.folder, v);
      return {
        preset: run.preset,
        name: v.name,
        accuracy: (v.metrics?.accuracy ?? Number.NaN) * 100,
        perplexity: v.metrics?.perplexity ?? Number.NaN,
        megabytes: v.bytes / 1e6,
        ...counts,
        entry: v,
      };
    });
    out.push({
      run,
      variants,
      scored,
      commands: [run.command, compressCommand(o, run, recipes, variants.evalData)],
    });
  }
  return out;
}
