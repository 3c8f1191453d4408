/**
 * What every layer may know about a task without loading it: its names (tlc.json `task`, `tlc train --task`, the
 * `/v1` route), how a foreign model folder is recognised as one, its quality metrics, and how the console shows
 * an answer. One `TaskAbout` per task folder (`<task>/about.ts`, importing nothing but this file's types),
 * gathered in src/tasks/catalog.ts; the layers below the task table (model folders, run folders, compression
 * reports, variant selection, the console through `/v1/models`) read names and metrics from there, never from
 * literals (test/tasks/task-literals.test.ts).
 */

import type { PositionScheme } from '../models/config.js';

/** A quality metric of a task's variants, as reports, `variant=auto` and the console read it. */
export interface MetricSpec {
  /** Its key in tlc.json `metrics`, report.json variants and scores. */
  readonly key: string;
  /** Its name in tables and plots ("BLEU", "accuracy"). */
  readonly label: string;
  /** Multiplies a value into points on a 0–100 scale (accuracy 0–1: 100; BLEU: 1). */
  readonly points: number;
  /** Larger is better (accuracy, BLEU), or smaller (perplexity). */
  readonly higherIsBetter: boolean;
  /** Decimals to print a value with. */
  readonly digits: number;
}

/** What detection sees of a single graph (or a seq2seq layout's encoder), for a task's graph rule. */
export interface GraphFacts {
  readonly layout: 'single' | 'seq2seq';
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Rank of the `logits` output, when the graph has one with a known shape. */
  readonly logitsRank?: number;
  /** The graph masks attention causally (a Trilu node). */
  readonly causal: boolean;
}

/** How the console shows a `/v1` answer to one input. */
export type AnswerView =
  /** A list (or, for several slots of one input, a list of lists) of candidates with a label and a score field. */
  | { readonly kind: 'ranked'; readonly label: string; readonly score: string }
  /** A list whose first element's field is the answer text. */
  | { readonly kind: 'text'; readonly field: string }
  /** One vector per input (an embedding): the playground sends a query and sentences, and ranks them by cosine. */
  | { readonly kind: 'vector' };

export interface TaskAbout {
  /** tlc.json `task`, the pipeline name of Hugging Face. */
  readonly name: string;
  /** `tlc train --task` name of the runs whose models do this task (absent: TLC serves it but does not train it). */
  readonly runTask?: string;
  /** The `/v1/models/{model}/…` path segment. */
  readonly route: string;
  /** Recognising a folder from another tool. */
  readonly detect: {
    /** config.json `architectures` class names of this task. */
    readonly architectures: readonly RegExp[];
    /** The graph layout these architectures need (an encoder-decoder class over one graph is not generation). */
    readonly layout: GraphFacts['layout'];
    /** Evidence that a graph without config.json does this task, or undefined. */
    graph(facts: GraphFacts): string | undefined;
  };
  /** OpenAI-compatible routes the task answers besides its own (`/v1/embeddings`), by OpenAI's name. */
  readonly openai?: readonly 'embeddings'[];
  /** Quality metrics, the headline first (`variant=auto`, frontier plots, the drop guard). */
  readonly metrics: readonly MetricSpec[];
  /**
   * Defaults of `tlc train --task` (with `runTask`) (src/train/run/recipe.ts): the peak learning rate of a 128-wide model (a model
   * of width w takes it × √(128 / w)), position scheme, warm-up steps and dropout, each measured (the row says how).
   */
  readonly training?: {
    readonly baseLr: number;
    readonly positions: PositionScheme;
    readonly warmupSteps: number;
    readonly dropout: number;
  };
  /** What the console's playground sends first and how it shows the answer. */
  readonly console: {
    readonly example: string;
    readonly answer: AnswerView;
    /** Request parameters the playground sends (a classifier's `top_k`, so that every label shows). */
    readonly parameters?: Readonly<Record<string, unknown>>;
  };
}
