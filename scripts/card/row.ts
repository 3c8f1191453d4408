/** What a model card says per task: one row per `tlc train --task` (scripts/card/rows.ts). */
import type { TlcModelJson } from '../../src/model-folder/tlc-json.js';
import type { RunConfig } from '../../src/run-folder/run-config.js';

export type Variant = TlcModelJson['variants'][number];

/** Sends a `/v1/models/{name}/{route}` request to the card's server (fp32 variant) and returns the JSON. */
export type Post = (route: string, body: unknown) => Promise<unknown>;

export interface CardRow {
  /** The card's first sentence: what the model does. */
  intro(run: RunConfig): string;
  /** Where the data comes from, and its licence. */
  data(run: RunConfig): string;
  /** The architecture sentence before the sizes. */
  architecture: string;
  /** "each side" for encoder-decoders. */
  layersSuffix: string;
  /** The test-split sentence from `tlc eval`'s metrics. */
  testLine(test: Readonly<Record<string, number>>): string;
  /** How variants are scored (after "scored on the test split"). */
  scoring: string;
  /** What the latency timed, and what to add after the CPU. */
  latencyUnit: string;
  latencyExtra: string;
  /** Column names of the variants table, and a variant's cells. */
  columns: readonly string[];
  cells(v: Variant): string[];
  /** The headline score (higher is better) and its name and format, for the pair comparison. */
  headline(v: Variant): number | undefined;
  metric: string;
  show(x: number | undefined): string;
  /** The Examples section through the server. */
  examples(name: string, run: RunConfig, post: Post): Promise<string>;
}

export const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(1)}%`);
export const num = (x: number | undefined, digits: number) => (x === undefined ? '' : x.toFixed(digits));
export const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
