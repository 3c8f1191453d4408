/**
 * Starting a run from another one (`tlc train --init`, fine-tuning): the initial run's size, tokenizer and
 * weights. `--init` names a run folder, a checkpoint inside one, or a built-in model (`mlm-small`, the folders of
 * the package's models/). Parameters of the same name and shape are copied; the new run's others (a classifier's
 * head) keep their fresh initialisation, and the initial run's unused ones (its vocabulary head) are left out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlcError } from '../../errors/index.js';
import { TOKENIZER_FILE } from '../../run-folder/files.js';
import { locateCheckpoint } from '../../run-folder/locate.js';
import { type RunConfig, readRunConfig } from '../../run-folder/run-config.js';
import { readCheckpoint } from '../checkpoint.js';

/** The package's built-in models (models/ beside src/ and dist/). */
const BUILTIN_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

/** The run folder and checkpoint `--init` names: a path, or a built-in model's name. */
export function locateInit(init: string): { dir: string; checkpoint: string } {
  if (!existsSync(init) && /^[\w.-]+$/.test(init) && existsSync(join(BUILTIN_DIR, init, 'run.json')))
    return locateCheckpoint(join(BUILTIN_DIR, init));
  if (!existsSync(init))
    throw new TlcError(
      'CONFIG_INVALID',
      `--init ${init}: no such run folder, checkpoint or built-in model (built in: the folders of models/, e.g. mlm-small)`,
    );
  return locateCheckpoint(init);
}

/** The tokenizer.json of the initial run. */
export function initTokenizer(init: string): string {
  const tokenizer = join(locateInit(init).dir, TOKENIZER_FILE);
  if (!existsSync(tokenizer))
    throw new TlcError('CONFIG_INVALID', `--init ${init}: the run folder has no ${TOKENIZER_FILE}`);
  return tokenizer;
}

/**
 * What a run started from `init` takes from it: the model's size and shape and its vocabulary (its tokenizer is
 * read when the run starts, initTokenizer, so run.json names no machine's path).
 */
export function initSettings(
  init: string,
): Pick<RunConfig, 'model' | 'vocabSize'> & { readonly task: string } {
  const run = readRunConfig(locateInit(init).dir);
  initTokenizer(init);
  return { task: run.task, model: run.model, vocabSize: run.vocabSize };
}

export interface InitCopy {
  /** Parameters copied from the initial run. */
  readonly copied: readonly string[];
  /** Parameters of this run that it does not have (kept as initialised). */
  readonly fresh: readonly string[];
  /** Its parameters this run does not use. */
  readonly unused: readonly string[];
  readonly step: number;
}

/**
 * Copies the initial run's parameters into `params` by name. A parameter of the same name with another shape is
 * a coded error (the sizes differ); no parameter in common is one too (`--init` names an unrelated model).
 */
export function copyInitWeights(
  init: string,
  params: Map<string, Float32Array>,
  shapes: ReadonlyMap<string, readonly number[]>,
): InitCopy {
  const { checkpoint } = locateInit(init);
  const { meta, tensors } = readCheckpoint(checkpoint);
  const copied: string[] = [];
  const unused: string[] = [];
  for (const [name, t] of tensors) {
    const target = params.get(name);
    if (target === undefined) {
      unused.push(name);
      continue;
    }
    const shape = shapes.get(name) ?? [];
    if (t.dims.length !== shape.length || t.dims.some((d, i) => Number(d) !== shape[i]))
      throw new TlcError(
        'CONFIG_INVALID',
        `--init ${init}: parameter ${name} is [${t.dims.join(', ')}] there and [${shape.join(', ')}] here; fine-tune with the initial run's sizes`,
      );
    target.set(t.data as Float32Array);
    copied.push(name);
  }
  if (copied.length === 0)
    throw new TlcError('CONFIG_INVALID', `--init ${init}: no parameter in common with this model`);
  const fresh = [...params.keys()].filter((n) => !tensors.has(n));
  return { copied, fresh, unused, step: meta.step };
}
