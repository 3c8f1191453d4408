/**
 * Which task a model from another tool does, from what the folder says (config.json `architectures`, as
 * transformers' pipelines read it) and, without a config, from its graphs: a seq2seq layout is a translation
 * (text-to-text generation) model; one graph with `logits` over the vocabulary is a masked LM unless it is
 * causal (a Trilu mask or past_key_values inputs, as causal-LM exports have) or of rank 2 ([batch, labels]: a
 * sequence classifier); `last_hidden_state` alone is a feature extractor. The served tasks' rules are their rows'
 * (src/tasks/<task>/about.ts `detect`, tried in catalog order); the others are named here so that serve and
 * compress can say "task not served" instead of guessing.
 */
import type { Graph } from '../onnx/ir.js';
import { allNodes } from '../onnx/traverse.js';
import type { GraphFacts } from '../tasks/about.js';
import { CATALOG, MODEL_TASKS } from '../tasks/catalog.js';
import type { HfFacts } from './hf-facts.js';
import type { GraphLayout } from './layout.js';
import type { ModelTask, UnservedTask } from './tlc-json.js';

export interface DetectedTask {
  readonly task: ModelTask | UnservedTask;
  /** How it was decided, for messages ("config.json architectures BertForMaskedLM"). */
  readonly evidence: string;
}

/** Architecture class name suffixes of tasks TLC does not serve, tried after the served tasks' (the catalog's). */
const UNSERVED_ARCHITECTURES: readonly (readonly [RegExp, UnservedTask])[] = [
  [/(ForCausalLM|LMHeadModel)$/, 'text-generation'],
];

function fromArchitectures(architectures: readonly string[], layout: GraphLayout): DetectedTask | undefined {
  const kind = layout.kind === 'seq2seq' ? 'seq2seq' : 'single';
  for (const arch of architectures) {
    for (const task of MODEL_TASKS) {
      const { detect } = CATALOG[task];
      // An encoder-decoder class over a single graph (an encoder-only export, say) is not something to generate with.
      if (detect.layout === kind && detect.architectures.some((p) => p.test(arch)))
        return { task, evidence: `config.json architectures ${arch}` };
    }
    for (const [pattern, task] of UNSERVED_ARCHITECTURES)
      if (pattern.test(arch)) return { task, evidence: `config.json architectures ${arch}` };
  }
  return undefined;
}

function graphFacts(graph: Graph, layout: GraphLayout): GraphFacts {
  const logits = graph.outputs.find((v) => v.name === 'logits')?.type;
  return {
    layout: layout.kind === 'seq2seq' ? 'seq2seq' : 'single',
    inputs: graph.inputs.map((v) => v.name),
    outputs: graph.outputs.map((v) => v.name),
    ...(logits?.kind === 'tensor' && logits.shape !== undefined && { logitsRank: logits.shape.length }),
    causal: allNodes(graph).some((n) => n.opType === 'Trilu'),
  };
}

function fromGraph(graph: Graph, layout: GraphLayout): DetectedTask {
  const f = graphFacts(graph, layout);
  if (f.layout === 'single') {
    if (f.inputs.some((n) => n.startsWith('past_key_values')))
      return { task: 'text-generation', evidence: 'past_key_values inputs' };
    if (!f.inputs.includes('input_ids')) return { task: 'other', evidence: 'no input_ids input' };
  }
  for (const task of MODEL_TASKS) {
    const evidence = CATALOG[task].detect.graph(f);
    if (evidence !== undefined) return { task, evidence };
  }
  // Logits that no served task claimed: under a causal mask, as a causal LM's.
  if (f.outputs.includes('logits'))
    return { task: 'text-generation', evidence: 'logits under a causal (Trilu) attention mask' };
  return { task: 'other', evidence: `outputs ${f.outputs.join(', ') || '(none)'}` };
}

/**
 * The task of a foreign model: config.json's architectures when they name one, else the graph's shape. `graph`
 * is the single graph (or the encoder of a seq2seq layout).
 */
export function detectTask(facts: HfFacts | undefined, layout: GraphLayout, graph: Graph): DetectedTask {
  return (facts && fromArchitectures(facts.architectures, layout)) ?? fromGraph(graph, layout);
}
