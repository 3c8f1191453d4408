/**
 * The catalog of tasks: each task folder's `about` (names, detection, metrics, console view) by tlc.json name.
 * A leaf of the import graph, so that model folders, run folders, reports and the server read task names and
 * metrics from here; the task table (index.ts) adds each task's code. Adding a task adds one row here and one
 * there, in catalog order (detection tries rows in this order).
 */
import type { MetricSpec, TaskAbout } from './about.js';
import { featureExtractionAbout } from './feature-extraction/about.js';
import { fillMaskAbout } from './fill-mask/about.js';
import { textClassificationAbout } from './text-classification/about.js';
import { translationAbout } from './translation/about.js';

export const CATALOG = {
  'fill-mask': fillMaskAbout,
  translation: translationAbout,
  'text-classification': textClassificationAbout,
  'feature-extraction': featureExtractionAbout,
} as const;

/** A task TLC serves: a tlc.json `task` with a row. */
export type ModelTask = keyof typeof CATALOG;
/** A `tlc train --task` name: the run tasks of the rows that have one. */
export type RunTask = RunTaskOf<(typeof CATALOG)[ModelTask]>;
type RunTaskOf<T> = T extends { readonly runTask: infer R } ? R : never;
/** A metric key of any task. */
export type MetricKey = (typeof CATALOG)[ModelTask]['metrics'][number]['key'];

export const MODEL_TASKS = Object.keys(CATALOG) as readonly ModelTask[];
export const RUN_TASK_NAMES = MODEL_TASKS.flatMap((t) => {
  const row: TaskAbout = CATALOG[t];
  return row.runTask === undefined ? [] : [row.runTask];
}) as readonly RunTask[];

export function about(task: ModelTask): TaskAbout {
  return CATALOG[task];
}

/** The task whose models a `tlc train --task runTask` run makes. */
export function aboutRun(runTask: RunTask): TaskAbout & Required<Pick<TaskAbout, 'runTask' | 'training'>> {
  const row: TaskAbout = CATALOG[MODEL_TASKS.find((t) => about(t).runTask === runTask)!];
  if (row.runTask === undefined || row.training === undefined)
    throw new Error(`the row of run task ${runTask} has no training defaults`);
  return { ...row, runTask: row.runTask, training: row.training };
}

/** Every metric of every task, each key once (the order of the catalog and of each task's list). */
export const ALL_METRICS: readonly MetricSpec[] = [
  ...new Map(MODEL_TASKS.flatMap((t) => CATALOG[t].metrics.map((m) => [m.key, m] as const))).values(),
];

/** The task's headline metric (its first). */
export function headline(task: ModelTask): MetricSpec {
  return CATALOG[task].metrics[0];
}

/** A metric in points (0–100), or undefined when it was not scored or is not finite. */
export function metricPoints(
  scores: Readonly<Partial<Record<string, number>>>,
  metric: MetricSpec,
): number | undefined {
  const value = scores[metric.key];
  return value === undefined || !Number.isFinite(value) ? undefined : value * metric.points;
}
