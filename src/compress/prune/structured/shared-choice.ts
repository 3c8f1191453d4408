/**
 * One choice of heads and neurons for the decoder files of a seq2seq model. `decoder_model.onnx` and
 * `decoder_with_past_model.onnx` hold the same weights, and the past keys/values the first returns are fed to the
 * second: both must drop the same heads. Choosing in each file alone is not enough, because in
 * decoder_with_past a cross-attention's keys and values come from the past (no k/v projection), so its L2
 * importance differs. The choice is made on decoder_model (the file with every projection) and handed to the
 * other decoder files as importance overrides, matching blocks by the exact bytes of their output projection
 * (attention) or down projection (FFN): the exporter names the transposed weights differently in each file.
 */
import { basename } from 'node:path';
import type { Model } from '../../../onnx/ir.js';
import { type StructuredPruneOptions, structuredPrune } from './prune.js';
import { fingerprint, treeInitializers } from './same-weights.js';

type Scores = NonNullable<StructuredPruneOptions['scores']>;

/** Which file chooses, and which follow it (Optimum's split layout). */
const CHOOSER = 'decoder_model.onnx';
const FOLLOWERS: ReadonlySet<string> = new Set(['decoder_with_past_model.onnx']);

/** Each block's importance keyed by kind and the fingerprint of its last weight. */
function blockImportance(model: Model, options: StructuredPruneOptions): Map<string, number[]> {
  const tensors = treeInitializers(model.graph);
  const out = new Map<string, number[]>();
  for (const block of structuredPrune(model.graph, options).report.blocks) {
    const t = tensors.get(block.weights[block.weights.length - 1]!);
    if (t !== undefined) out.set(`${block.kind}:${fingerprint(t)}`, [...block.importance]);
  }
  return out;
}

/** The chooser's importance as overrides keyed by the follower's own weight names. */
function followerScores(
  model: Model,
  options: StructuredPruneOptions,
  chosen: Map<string, number[]>,
): Scores {
  const tensors = treeInitializers(model.graph);
  const heads: Record<string, readonly number[]> = {};
  const ffn: Record<string, readonly number[]> = {};
  for (const block of structuredPrune(model.graph, options).report.blocks) {
    const name = block.weights[block.weights.length - 1]!;
    const t = tensors.get(name);
    const importance = t === undefined ? undefined : chosen.get(`${block.kind}:${fingerprint(t)}`);
    if (importance === undefined || importance.length !== block.units) continue;
    (block.kind === 'attention' ? heads : ffn)[name] = importance;
  }
  return { heads, ffn };
}

/**
 * Importance overrides per file (undefined where the file chooses for itself): the decoder files that follow
 * decoder_model get its choice. Files are matched by name, as the model folder lays them out.
 */
export function sharedStructuredScores(
  files: readonly string[],
  models: readonly Model[],
  options: Pick<StructuredPruneOptions, 'heads' | 'ffn'>,
): (Scores | undefined)[] {
  const none = files.map(() => undefined);
  if ((options.heads ?? 0) === 0 && (options.ffn ?? 0) === 0) return none;
  const chooser = files.findIndex((f) => basename(f) === CHOOSER);
  if (chooser < 0 || !files.some((f) => FOLLOWERS.has(basename(f)))) return none;
  const chosen = blockImportance(models[chooser]!, options);
  return files.map((f, i) =>
    FOLLOWERS.has(basename(f)) ? followerScores(models[i]!, options, chosen) : undefined,
  );
}
