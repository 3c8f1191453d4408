/**
 * A classifier's labels and how its scores come from its logits, as Hugging Face reads config.json: `id2label`
 * names the classes (LABEL_i where it does not), `problem_type` multi_label_classification (or a single output)
 * means independent sigmoids, otherwise a softmax over the classes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../../errors/index.js';

export type ScoreFunction = 'softmax' | 'sigmoid' | 'none';

export interface ClassifierLabels {
  /** The name of class i, where config.json gives one. */
  readonly names: ReadonlyMap<number, string>;
  /** Multi-label (independent sigmoids) per config.json's problem_type. */
  readonly multiLabel: boolean;
}

export function readLabels(dir: string): ClassifierLabels {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return { names: new Map(), multiLabel: false };
  let config: { id2label?: Record<string, unknown>; problem_type?: unknown };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as typeof config;
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${file}: cannot be read (${messageOf(error)})`);
  }
  const names = new Map<number, string>();
  for (const [id, name] of Object.entries(config.id2label ?? {}))
    if (/^\d+$/.test(id) && typeof name === 'string') names.set(Number(id), name);
  return { names, multiLabel: config.problem_type === 'multi_label_classification' };
}

/** The name of class `i`. */
export const labelName = (labels: ClassifierLabels, i: number): string => labels.names.get(i) ?? `LABEL_${i}`;

/** The function Hugging Face's pipeline applies by default: sigmoid for multi-label or one output, else softmax. */
export function defaultScoreFunction(labels: ClassifierLabels, classes: number): ScoreFunction {
  return labels.multiLabel || classes === 1 ? 'sigmoid' : 'softmax';
}

/** Scores of one row of logits. */
export function scoreRow(logits: Float32Array, fn: ScoreFunction): Float64Array {
  const out = Float64Array.from(logits);
  if (fn === 'sigmoid') return out.map((x) => 1 / (1 + Math.exp(-x)));
  if (fn === 'none') return out;
  const max = Math.max(...out);
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.exp(out[i]! - max);
    sum += out[i]!;
  }
  return out.map((x) => x / sum);
}
