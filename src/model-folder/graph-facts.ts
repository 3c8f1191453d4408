/**
 * What a graph says about the model, read from its tables: the word-embedding table (the Gather fed by
 * `input_ids` or `decoder_input_ids`) gives the vocabulary (rows) and the hidden size (width), the largest other
 * Gather table of at least 16 rows and the same width the positions. These numbers are the truth at run time —
 * an id past the table's rows fails inside ONNX Runtime — so config.json and tokenizer.json are checked against
 * them (`factMismatches`), at compress time and at load, instead of being believed.
 */
import type { Graph, Tensor } from '../onnx/ir.js';
import { walkGraphs } from '../onnx/traverse.js';

export interface GraphFacts {
  /** Rows of the word-embedding table: the ids the model can take. */
  readonly vocabRows?: number;
  /** Rows of the position table (learned positions only). */
  readonly positionRows?: number;
  /** Width of the word-embedding table. */
  readonly hidden?: number;
}

/** Inputs whose values are token ids. */
const ID_INPUTS = new Set(['input_ids', 'decoder_input_ids']);
/** Ops that pass ids (or a table) through unchanged in value, so the Gather may sit behind them. */
const PASS_THROUGH = new Set(['Cast', 'Identity', 'Reshape', 'Flatten', 'Unsqueeze', 'Squeeze']);
/** Ops whose output is a table read from their first input (a quantized or converted embedding). */
const TABLE_OF = new Set(['Cast', 'Identity', 'DequantizeLinear']);

/** Token-type tables (BERT's 2 rows) are not positions; a position table has at least this many rows. */
const MIN_POSITION_ROWS = 16;

/** The 2-D initializer a Gather reads its table from, directly or through a Cast/DequantizeLinear. */
function tableOf(name: string, initializers: ReadonlyMap<string, Tensor>, producers: Map<string, string>) {
  for (let hops = 0; hops < 4; hops++) {
    const t = initializers.get(name);
    if (t !== undefined) return t.dims.length === 2 ? t : undefined;
    const from = producers.get(name);
    if (from === undefined) return undefined;
    name = from;
  }
  return undefined;
}

/** Facts of `graph` (and its subgraphs: a merged decoder keeps its tables inside If branches). */
export function graphFacts(graph: Graph): GraphFacts {
  const initializers = new Map<string, Tensor>();
  const producers = new Map<string, string>();
  const ids = new Set(graph.inputs.map((v) => v.name).filter((n) => ID_INPUTS.has(n)));
  const gathers: { table: Tensor; fromIds: boolean }[] = [];
  const pending: { data: string; indices: string }[] = [];
  walkGraphs(graph, (g) => {
    for (const [name, t] of g.initializers) initializers.set(name, t);
    for (const node of g.nodes) {
      const [first, second] = node.inputs;
      if (first === undefined || first === '') continue;
      if (TABLE_OF.has(node.opType)) producers.set(node.outputs[0] ?? '', first);
      if (PASS_THROUGH.has(node.opType) && ids.has(first)) for (const o of node.outputs) ids.add(o);
      if (node.opType === 'Gather' && second !== undefined) pending.push({ data: first, indices: second });
    }
  });
  for (const { data, indices } of pending) {
    const table = tableOf(data, initializers, producers);
    if (table !== undefined) gathers.push({ table, fromIds: ids.has(indices) });
  }
  const words = gathers.filter((g) => g.fromIds).map((g) => g.table);
  const word = words.sort((a, b) => b.dims[0]! - a.dims[0]!)[0];
  // As wide as the word table: T5's relative-attention bias tables ([buckets, heads]) are not positions.
  const positions = gathers
    .filter((g) => !g.fromIds && g.table.dims[0]! >= MIN_POSITION_ROWS && g.table !== word)
    .filter((g) => word === undefined || g.table.dims[1] === word.dims[1])
    .map((g) => g.table.dims[0]!)
    .sort((a, b) => b - a);
  return {
    ...(word !== undefined && { vocabRows: word.dims[0]!, hidden: word.dims[1]! }),
    ...(positions[0] !== undefined && { positionRows: positions[0] }),
  };
}

/** config.json fields compared with the graph, first present wins (as hf-facts.ts reads them). */
const CONFIG_FIELDS = {
  vocab: ['vocab_size'],
  positions: ['max_position_embeddings', 'n_positions', 'max_sequence_length'],
  // ALBERT-style factorised embeddings are narrower than the hidden size: their width is embedding_size.
  hidden: ['embedding_size', 'hidden_size', 'd_model', 'n_embd', 'dim'],
} as const;

function firstField(config: Readonly<Record<string, unknown>>, keys: readonly string[]) {
  for (const key of keys) {
    const v = config[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return { key, value: v };
  }
  return undefined;
}

export interface FactSources {
  /** The graph the facts were read from, as the message should name it (`onnx/model.onnx`). */
  readonly graphFile: string;
  /** config.json's parsed object, when the folder has one. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** tokenizer.json's vocabulary size, when the folder has one. */
  readonly tokenizerVocab?: number;
}

/**
 * Where config.json or tokenizer.json promise more than the graph holds, one message each naming the file, the
 * field and both numbers. A config larger than a table fails requests at run time; a hidden size that differs
 * means the config belongs to another model; a tokenizer smaller than the table is fine (unused rows).
 */
export function factMismatches(facts: GraphFacts, sources: FactSources): string[] {
  const out: string[] = [];
  const graph = sources.graphFile;
  const config = sources.config ?? {};
  const vocab = firstField(config, CONFIG_FIELDS.vocab);
  if (facts.vocabRows !== undefined && vocab !== undefined && vocab.value > facts.vocabRows)
    out.push(
      `config.json ${vocab.key} is ${vocab.value} but the word-embedding table of ${graph} has ${facts.vocabRows} rows; set ${vocab.key} to ${facts.vocabRows} (or use the config.json exported with this model)`,
    );
  const positions = firstField(config, CONFIG_FIELDS.positions);
  if (facts.positionRows !== undefined && positions !== undefined && positions.value > facts.positionRows)
    out.push(
      `config.json ${positions.key} is ${positions.value} but the position table of ${graph} has ${facts.positionRows} rows; set ${positions.key} to ${facts.positionRows}`,
    );
  const hidden = firstField(config, CONFIG_FIELDS.hidden);
  if (facts.hidden !== undefined && hidden !== undefined && hidden.value !== facts.hidden)
    out.push(
      `config.json ${hidden.key} is ${hidden.value} but the word-embedding table of ${graph} is ${facts.hidden} wide; use the config.json exported with this model`,
    );
  const tokens = sources.tokenizerVocab;
  if (facts.vocabRows !== undefined && tokens !== undefined && tokens > facts.vocabRows)
    out.push(
      `tokenizer.json has ${tokens} tokens but the word-embedding table of ${graph} has ${facts.vocabRows} rows; use the tokenizer the model was trained with`,
    );
  return out;
}

/** Inputs whose axis 1 is the sequence (ids, masks, the encoder's output); caches have it at axis 2. */
const SEQUENCE_AXIS: Readonly<Record<string, number>> = {
  input_ids: 1,
  attention_mask: 1,
  token_type_ids: 1,
  position_ids: 1,
  decoder_input_ids: 1,
  decoder_attention_mask: 1,
  encoder_attention_mask: 1,
  encoder_hidden_states: 1,
};

/** Inputs a cached decoder step may fix at one position. */
const ONE_STEP = new Set(['input_ids', 'decoder_input_ids', 'position_ids']);

export interface VariedAxis {
  readonly axis: number;
  readonly what: 'batch' | 'sequence';
}

/** The axes the server varies: every batched input's axis 0, and the sequence axis of ids, masks and caches. */
export function variedAxes(name: string, rank: number): VariedAxis[] {
  if (rank < 2) return [];
  const axes: VariedAxis[] = [{ axis: 0, what: 'batch' }];
  const sequence = name.startsWith('past_key_values') ? 2 : SEQUENCE_AXIS[name];
  if (sequence !== undefined && sequence < rank) axes.push({ axis: sequence, what: 'sequence' });
  return axes;
}

export interface FixedAxis extends VariedAxis {
  readonly input: string;
  readonly size: number;
}

/** Inputs of `graph` whose batch or sequence axis is a number. */
export function fixedAxes(graph: Graph): FixedAxis[] {
  const out: FixedAxis[] = [];
  const cached = graph.inputs.some((v) => v.name.startsWith('past_key_values'));
  for (const input of graph.inputs) {
    const type = input.type;
    if (type?.kind !== 'tensor' || type.shape === undefined) continue;
    for (const { axis, what } of variedAxes(input.name, type.shape.length)) {
      const size = type.shape[axis];
      if (typeof size !== 'number') continue;
      // A cached decoder step reads one new token: PyTorch exports decoder_with_past's ids as [batch, 1].
      if (cached && what === 'sequence' && size === 1 && ONE_STEP.has(input.name)) continue;
      out.push({ input: input.name, axis, what, size });
    }
  }
  return out;
}

/** Why the server could not run `graph` (`file` as messages name it): its fixed batch and sequence axes. */
export function staticShapes(file: string, graph: Graph): string | undefined {
  const fixed = fixedAxes(graph).map((f) => `${f.input} axis ${f.axis} (${f.what}) is fixed at ${f.size}`);
  if (fixed.length === 0) return undefined;
  return `${file} has static shapes: ${fixed.join('; ')}; the server runs batches of any size and length`;
}

export const STATIC_SHAPES_FIX =
  're-export with dynamic batch and sequence axes (torch.onnx.export dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, …}; optimum-cli export onnx makes them dynamic)';
