/**
 * Which task a model from another tool does, from what the folder says (config.json `architectures`, as
 * transformers' pipelines read it) and, without a config, from its graphs: a seq2seq layout is a translation
 * (text-to-text generation) model; one graph with `logits` over the vocabulary is a masked LM unless it is
 * causal (a Trilu mask or past_key_values inputs, as causal-LM exports have) or of rank 2 ([batch, labels]: a
 * sequence classifier); `last_hidden_state` alone is a feature extractor. TLC serves fill-mask and translation; the others are named so that serve and compress can
 * say "task not served" instead of guessing.
 */
import type { Graph } from '../onnx/ir.js';
import { allNodes } from '../onnx/traverse.js';
import type { HfFacts } from './hf-facts.js';
import type { GraphLayout } from './layout.js';
import type { ModelTask, UnservedTask } from './tlc-json.js';

export interface DetectedTask {
  readonly task: ModelTask | UnservedTask;
  /** How it was decided, for messages ("config.json architectures BertForMaskedLM"). */
  readonly evidence: string;
}

/** Architecture class name suffixes, most specific first. */
const ARCHITECTURES: readonly (readonly [RegExp, ModelTask | UnservedTask])[] = [
  [/ForMaskedLM$/, 'fill-mask'],
  [/(ForConditionalGeneration|MTModel|ForSeq2SeqLM)$/, 'translation'],
  [/(ForCausalLM|LMHeadModel)$/, 'text-generation'],
  [/ForSequenceClassification$/, 'text-classification'],
  [/(Model|ForFeatureExtraction)$/, 'feature-extraction'],
];

function fromArchitectures(architectures: readonly string[], layout: GraphLayout): DetectedTask | undefined {
  for (const arch of architectures) {
    for (const [pattern, task] of ARCHITECTURES) {
      if (!pattern.test(arch)) continue;
      // An encoder-decoder class over a single graph (an encoder-only export, say) is not something to generate with.
      if (task === 'translation' && layout.kind !== 'seq2seq') continue;
      return { task, evidence: `config.json architectures ${arch}` };
    }
  }
  return undefined;
}

function fromGraph(graph: Graph, layout: GraphLayout): DetectedTask {
  if (layout.kind === 'seq2seq') return { task: 'translation', evidence: 'an encoder and a decoder graph' };
  const inputs = graph.inputs.map((v) => v.name);
  const outputs = graph.outputs.map((v) => v.name);
  if (inputs.some((n) => n.startsWith('past_key_values')))
    return { task: 'text-generation', evidence: 'past_key_values inputs' };
  if (!inputs.includes('input_ids')) return { task: 'other', evidence: 'no input_ids input' };
  if (outputs.includes('logits')) {
    // A classifier's logits are [batch, labels]: one row per text, never a vocabulary per position.
    const logits = graph.outputs.find((v) => v.name === 'logits')?.type;
    if (logits?.kind === 'tensor' && logits.shape?.length === 2)
      return { task: 'text-classification', evidence: 'logits of rank 2 ([batch, labels])' };
    if (allNodes(graph).some((n) => n.opType === 'Trilu'))
      return { task: 'text-generation', evidence: 'logits under a causal (Trilu) attention mask' };
    return { task: 'fill-mask', evidence: 'input_ids → logits without a causal mask' };
  }
  if (outputs.includes('last_hidden_state'))
    return { task: 'feature-extraction', evidence: 'last_hidden_state output, no logits' };
  return { task: 'other', evidence: `outputs ${outputs.join(', ') || '(none)'}` };
}

/**
 * The task of a foreign model: config.json's architectures when they name one, else the graph's shape. `graph`
 * is the single graph (or the encoder of a seq2seq layout).
 */
export function detectTask(facts: HfFacts | undefined, layout: GraphLayout, graph: Graph): DetectedTask {
  return (facts && fromArchitectures(facts.architectures, layout)) ?? fromGraph(graph, layout);
}
