/**
 * An Optimum-style BERT export with a third input `token_type_ids`, made by graph surgery on the PyTorch fixture
 * (which has none): a seeded token-type table [2, hidden] gathered by `token_type_ids` and added where the word
 * and position embeddings are summed, before the embedding LayerNorm, as BertEmbeddings does. Row 0 is not
 * zero, so feeding zeros matters (the answer differs from the fixture's) and feeding other ids would differ.
 */
import { join } from 'node:path';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Model, Node, Tensor } from '../../src/onnx/ir.js';
import { Rng } from '../../src/util/rng.js';
import { BERT_CONFIG, type ForeignFolderOptions, TORCH_BERT, writeForeignFolder } from './foreign.js';

export const SEGMENT_BERT_CONFIG = { ...BERT_CONFIG, type_vocab_size: 2 };
export const TOKEN_TYPE_TABLE = 'token_type.weight';

/** The sum of word and position embeddings in the fixture, read by the embedding LayerNorm. */
const EMBEDDING_SUM = '/Add_output_0';

function node(name: string, opType: string, inputs: string[], outputs: string[]): Node {
  return { name, opType, domain: '', inputs, outputs, attributes: {} };
}

/** The fixture with `token_type_ids` [batch, sequence] (int64) after input_ids and attention_mask. */
export function segmentBertModel(seed = 28): Model {
  const model = loadModel(TORCH_BERT);
  const g = model.graph;
  const hidden = BERT_CONFIG.hidden_size;
  const rng = Rng.seeded(seed);
  // The scale of the fixture's own tables (RMS about 1), so the segment shifts the answer as much as a word does.
  const table: Tensor = {
    name: TOKEN_TYPE_TABLE,
    dataType: DataType.FLOAT,
    dims: [SEGMENT_BERT_CONFIG.type_vocab_size, hidden],
    data: Float32Array.from({ length: SEGMENT_BERT_CONFIG.type_vocab_size * hidden }, () => rng.normal()),
  };
  const at = g.nodes.findIndex((n) => n.outputs.includes(EMBEDDING_SUM));
  const sum = g.nodes[at];
  if (sum === undefined || sum.opType !== 'Add')
    throw new Error(`the fixture has no Add producing ${EMBEDDING_SUM}`);
  const nodes = [
    ...g.nodes.slice(0, at),
    { ...sum, outputs: ['/word_position_sum'] },
    node(
      '/token_type/Gather',
      'Gather',
      [TOKEN_TYPE_TABLE, 'token_type_ids'],
      ['/token_type/Gather_output_0'],
    ),
    node('/Add_token_type', 'Add', ['/word_position_sum', '/token_type/Gather_output_0'], [EMBEDDING_SUM]),
    ...g.nodes.slice(at + 1),
  ];
  const inputIds = g.inputs.find((i) => i.name === 'input_ids')!;
  return {
    ...model,
    graph: {
      ...g,
      nodes,
      inputs: [...g.inputs, { ...inputIds, name: 'token_type_ids' }],
      initializers: new Map([...g.initializers, [TOKEN_TYPE_TABLE, table]]),
    },
  };
}

/** Writes the export to `path` (an .onnx file). */
export function writeSegmentBert(path: string, seed?: number): string {
  saveModel(segmentBertModel(seed), path);
  return path;
}

/** A folder as Optimum writes it for a BERT masked LM: model.onnx, config.json with type_vocab_size, tokenizer. */
export function writeSegmentBertFolder(dir: string, o: ForeignFolderOptions = {}): string {
  writeForeignFolder(dir, TORCH_BERT, { config: SEGMENT_BERT_CONFIG, tokenizer: 1000, ...o });
  writeSegmentBert(o.place === 'onnx' ? join(dir, 'onnx', 'model.onnx') : join(dir, 'model.onnx'));
  return dir;
}
