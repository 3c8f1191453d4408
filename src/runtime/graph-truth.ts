/**
 * The load-time half of "the graph is the truth": before a model's workers start, its tokenizer and config.json
 * are checked against the tables of its fp32 graph, and its inputs for fixed batch or sequence axes (which ONNX
 * Runtime refuses per request as "invalid dimensions"), read without decoding weights (onnx/skim.ts), with the
 * messages export-and-compress gives for the same folder (model-folder/graph-facts.ts). Otherwise a config or a
 * tokenizer larger than the embedding loads fine and every request with an id past the table fails with a 500.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { factMismatches, graphFacts, STATIC_SHAPES_FIX, staticShapes } from '../model-folder/graph-facts.js';
import { readHfConfig } from '../model-folder/hf-facts.js';
import type { TlcModelJson } from '../model-folder/tlc-json.js';
import type { Graph } from '../onnx/ir.js';
import { skimGraph } from '../onnx/skim.js';

/** The fp32 variant's graphs, the one holding the word embedding (encoder or single graph) first. */
function baseGraphs(tlc: TlcModelJson): string[] {
  const base = tlc.variants.find((v) => v.recipe.length === 0) ?? tlc.variants[0];
  const files = base?.files ?? [];
  const encoder = files.filter((f) => basename(f).startsWith('encoder_model'));
  return [...encoder, ...files.filter((f) => !encoder.includes(f))];
}

function skimmed(path: string): Graph | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return skimGraph(path);
  } catch {
    // An unreadable graph is its variant's failure, reported when the variant loads; the others may serve.
    return undefined;
  }
}

/**
 * Throws when the tokenizer or config.json promise ids, positions or widths the graph does not have: MODEL_INVALID
 * for a tokenizer larger than tlc.json's vocabulary, MODEL_NOT_SERVABLE naming the file and both numbers when the
 * graph's own tables disagree, or naming the input and axis of a static shape.
 */
export function checkFolderFacts(dir: string, tlc: TlcModelJson, tokenizer: { vocabSize: number }): void {
  const embedded = tlc.architecture.vocabSize;
  if (embedded > 0 && tokenizer.vocabSize > embedded)
    throw new TlcError(
      'MODEL_INVALID',
      `${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but the model embeds ${embedded}; use the tokenizer the model was trained with`,
    );
  const files = baseGraphs(tlc);
  const graphs = files.map((f) => skimmed(join(dir, f)));
  const shapes = files.flatMap((f, i) => {
    const message = graphs[i] && staticShapes(f, graphs[i]);
    return message === undefined
      ? []
      : [
          `${message}; fix: build a servable folder with \`export-and-compress SOURCE --dynamic-axes\`, or ${STATIC_SHAPES_FIX}`,
        ];
  });
  const config = readHfConfig(join(dir, 'config.json'));
  const first = graphs[0];
  const messages = [
    ...(first === undefined
      ? []
      : factMismatches(graphFacts(first), {
          graphFile: files[0]!,
          ...(config !== undefined && { config }),
          tokenizerVocab: tokenizer.vocabSize,
        })),
    ...shapes,
  ];
  if (messages.length > 0) throw new TlcError('MODEL_NOT_SERVABLE', `${dir}: ${messages.join('; ')}`);
}
