/**
 * The catalog of tasks: each task folder's `about` (names, detection, metrics, console view) by tlc.json name.
 * A leaf of the import graph, so that model folders, run folders, reports and the server read task names and
 * metrics from here; the task table (index.ts) adds each task's code. Adding a task adds one row here and one
 * there, in catalog order (detection tries rows in this order).
 */
import type { MetricSpec, TaskAbout } from './about.js';
import { fillMaskAbout } from './fill-mask/about.js';
import { translationAbout } from './translation/about.js';

export const CATALOG = { 'fill-mask': fillMaskAbout, translation: translationAbout } as const;

/** A task TLC serves: a tlc.json `task` with a row. */
export type ModelTask = keyof typeof CATALOG;
/** A `tlc train --task` name. */
export type RunTask = (typeof CATALOG)[ModelTask]['runTask'];
/** A metric key of any task. */
export type MetricKey = (typeof CATALOG)[ModelTask]['metrics'][number]['key'];

export const MODEL_TASKS = Object.keys(CATALOG) as readonly ModelTask[];
export const RUN_TASK_NAMES = MODEL_TASKS.map((t) => CATALOG[t].runTask) as readonly RunTask[];

export function about(task: ModelTask): TaskAbout {
  return CATALOG[task];
}

/** The task whose models a `tlc train --task runTask` run makes. */
export function aboutRun(runTask: RunTask): TaskAbout {
  return CATALOG[MODEL_TASKS.find((t) => CATALOG[t].runTask === runTask)!];
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
