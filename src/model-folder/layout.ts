/**
 * Where a model folder keeps its graphs. TLC writes Optimum's layout under `onnx/`; folders from other tools
 * put the same file names at the root as often. Recognised, in this order of preference (`onnx/` before root):
 *   - one graph: `model.onnx` (encoders, causal LMs, anything single-graph);
 *   - seq2seq: `encoder_model.onnx` with `decoder_model.onnx` (+ `decoder_with_past_model.onnx`), or with
 *     `decoder_model_merged.onnx` (Optimum's current export: one decoder with a `use_cache_branch` If).
 * `findLayout` says what it found, or why the folder holds no model.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type GraphLayout =
  | { readonly kind: 'single'; readonly model: string }
  | {
      readonly kind: 'seq2seq';
      readonly encoder: string;
      readonly decoder?: string;
      readonly decoderWithPast?: string;
      readonly decoderMerged?: string;
    };

export type LayoutResult =
  | { readonly ok: true; readonly layout: GraphLayout }
  | { readonly ok: false; readonly reason: string };

/** Folders (relative to the model folder) searched for graphs, in order. */
const PLACES = ['onnx', ''] as const;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // missing or a dangling link: not a graph we can read
  }
}

function layoutIn(dir: string, place: string): GraphLayout | undefined {
  const at = (name: string) => (place === '' ? name : `${place}/${name}`);
  const has = (name: string) => isFile(join(dir, at(name)));
  if (has('encoder_model.onnx')) {
    const seq2seq = {
      kind: 'seq2seq' as const,
      encoder: at('encoder_model.onnx'),
      ...(has('decoder_model.onnx') && { decoder: at('decoder_model.onnx') }),
      ...(has('decoder_with_past_model.onnx') && { decoderWithPast: at('decoder_with_past_model.onnx') }),
      ...(has('decoder_model_merged.onnx') && { decoderMerged: at('decoder_model_merged.onnx') }),
    };
    if (seq2seq.decoder !== undefined || seq2seq.decoderMerged !== undefined) return seq2seq;
  }
  if (has('model.onnx')) return { kind: 'single', model: at('model.onnx') };
  return undefined;
}

/** Every .onnx file where a layout may sit (root and onnx/), relative to `dir`, sorted. */
export function graphFiles(dir: string): string[] {
  return [...PLACES]
    .flatMap((place) => {
      const where = join(dir, place);
      try {
        return readdirSync(where)
          .filter((f) => f.endsWith('.onnx') && isFile(join(where, f)))
          .map((f) => (place === '' ? f : `${place}/${f}`));
      } catch {
        return [];
      }
    })
    .sort();
}

/** The graphs of a model folder without tlc.json, or why there are none. */
export function findLayout(dir: string): LayoutResult {
  if (!existsSync(dir)) return { ok: false, reason: 'no such folder' };
  for (const place of PLACES) {
    const layout = layoutIn(dir, place);
    if (layout !== undefined) return { ok: true, layout };
  }
  const onnx = graphFiles(dir);
  return {
    ok: false,
    reason:
      onnx.length === 0
        ? 'no tlc.json and no .onnx graph (model.onnx, or encoder_model.onnx with decoder_model*.onnx, at the root or under onnx/)'
        : `no tlc.json, and its graphs (${onnx.join(', ')}) are not a layout TLC reads: model.onnx, or encoder_model.onnx with decoder_model.onnx / decoder_model_merged.onnx`,
  };
}

/** The graph files of a layout, encoder first. */
export function layoutFiles(layout: GraphLayout): string[] {
  if (layout.kind === 'single') return [layout.model];
  return [layout.encoder, layout.decoder, layout.decoderWithPast, layout.decoderMerged].filter(
    (f): f is string => f !== undefined,
  );
}
