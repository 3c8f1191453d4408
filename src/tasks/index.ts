/**
 * The task table: every task TLC trains, exports, compresses, serves and benchmarks, by the name model folders
 * give it (tlc.json `task`). Adding a task is one folder under src/tasks/ and one row here (docs/design.md).
 */
import { TlcError } from '../errors/index.js';
import type { ModelTask } from '../model-folder/tlc-json.js';
import type { Task } from '../run-folder/run-config.js';
import { featureExtraction } from './feature-extraction/index.js';
import { fillMask } from './fill-mask/index.js';
import type { VariantScores } from './scores.js';
import type { ExportSpec, ScoreOptions, TaskSpec, TrainedTaskSpec } from './spec.js';
import { textClassification } from './text-classification/index.js';
import { translation } from './translation/index.js';

/** Every task of the model-folder format has a row (the type says so). */
export const TASKS: Readonly<{ [N in ModelTask]: TaskSpec<N> }> = Object.freeze({
  'fill-mask': fillMask,
  translation,
  'text-classification': textClassification,
  'feature-extraction': featureExtraction,
});

export const TASK_NAMES = Object.keys(TASKS) as readonly ModelTask[];

/** The task's spec; an unknown name (a folder written by something else) is a coded error. */
export function taskSpec(name: string, where = 'model'): TaskSpec {
  if (!Object.hasOwn(TASKS, name))
    throw new TlcError(
      'MODEL_INVALID',
      `${where}: unknown task "${name}"; TLC knows ${TASK_NAMES.join(', ')}`,
    );
  return TASKS[name as ModelTask];
}

/** Scores a variant of a `task` model on `--eval-data` through the task's row. */
export function evaluateVariant(
  task: string,
  folder: string,
  files: readonly string[],
  evalFile: string,
  o: ScoreOptions,
): Promise<VariantScores> {
  return taskSpec(task, folder).scoring.score(folder, files, evalFile, o);
}

const trained = (t: TaskSpec): t is TrainedTaskSpec => t.training !== undefined && t.export !== undefined;

/** `tlc train --task` names, in table order. */
export const RUN_TASKS = Object.values(TASKS)
  .filter(trained)
  .map((t) => t.training.runTask) as readonly Task[];

/**
 * What a `runTask` run exports as `as` (a served task): that task's own export of its runs, or its export of
 * another task's runs (`exportFrom`: an MLM run as sentence embeddings); a coded error naming what the run takes.
 */
export function exportAs(as: string, runTask: string): { name: ModelTask; export: ExportSpec } {
  const spec = taskSpec(as, '--as');
  if (spec.training?.runTask === runTask && spec.export !== undefined)
    return { name: spec.name, export: spec.export };
  if (spec.exportFrom?.runTask === runTask) return { name: spec.name, export: spec.exportFrom.export };
  const own = taskForRun(runTask).name;
  const others = Object.values(TASKS).filter((t) => t.exportFrom?.runTask === runTask);
  throw new TlcError(
    'CLI_USAGE',
    `a ${runTask} run exports as ${[own, ...others.map((t) => t.name)].join(' or ')}, not ${as}`,
  );
}

/** The row whose models a `tlc train --task runTask` run makes. */
export function taskForRun(runTask: string): TrainedTaskSpec {
  const spec = Object.values(TASKS)
    .filter(trained)
    .find((t) => t.training.runTask === runTask);
  if (spec === undefined)
    throw new TlcError('CLI_USAGE', `--task must be one of ${RUN_TASKS.join(', ')}; got "${runTask}"`);
  return spec;
}
