/**
 * The load-time half of "the graph is the truth": before a model's workers start, its tokenizer and config.json
 * are checked against the tables of its fp32 graph, read without decoding weights (onnx/skim.ts), with the
 * messages export-and-compress gives for the same folder (model-folder/graph-facts.ts). Otherwise a config or a
 * tokenizer larger than the embedding loads fine and every request with an id past the table fails with a 500.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { factMismatches, type GraphFacts, graphFacts } from '../model-folder/graph-facts.js';
import { readHfConfig } from '../model-folder/hf-facts.js';
import type { TlcModelJson } from '../model-folder/tlc-json.js';
import { skimGraph } from '../onnx/skim.js';

/** The graph that holds the word embedding: the fp32 variant's encoder or single graph. */
function embeddingGraph(tlc: TlcModelJson): string | undefined {
  const base = tlc.variants.find((v) => v.recipe.length === 0) ?? tlc.variants[0];
  const files = base?.files ?? [];
  return files.find((f) => basename(f).startsWith('encoder_model')) ?? files[0];
}

function factsOf(path: string): GraphFacts | undefined {
  try {
    return graphFacts(skimGraph(path));
  } catch {
    // An unreadable graph is its variant's failure, reported when the variant loads; the others may serve.
    return undefined;
  }
}

/**
 * Throws when the tokenizer or config.json promise ids, positions or widths the graph does not have: MODEL_INVALID
 * for a tokenizer larger than tlc.json's vocabulary, MODEL_NOT_SERVABLE naming the file and both numbers when the
 * graph's own tables disagree.
 */
export function checkFolderFacts(dir: string, tlc: TlcModelJson, tokenizer: { vocabSize: number }): void {
  const embedded = tlc.architecture.vocabSize;
  if (embedded > 0 && tokenizer.vocabSize > embedded)
    throw new TlcError(
      'MODEL_INVALID',
      `${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but the model embeds ${embedded}; use the tokenizer the model was trained with`,
    );
  const file = embeddingGraph(tlc);
  if (file === undefined || !existsSync(join(dir, file))) return;
  const facts = factsOf(join(dir, file));
  if (facts === undefined) return;
  const config = readHfConfig(join(dir, 'config.json'));
  const messages = factMismatches(facts, {
    graphFile: file,
    ...(config !== undefined && { config }),
    tokenizerVocab: tokenizer.vocabSize,
  });
  if (messages.length > 0) throw new TlcError('MODEL_NOT_SERVABLE', `${dir}: ${messages.join('; ')}`);
}
