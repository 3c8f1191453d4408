/**
 * Reading a model folder's tlc.json, in one place, with one rule for folders that have none:
 *   - `tlc.json` present: parsed and checked against the schema below (MODEL_INVALID names the field);
 *   - absent: a fill-mask export by another tool (`onnx/model.onnx`, as Optimum writes): the vocabulary and maximum
 *     length come from config.json (`vocab_size`, `max_position_embeddings`) where it says, else the vocabulary is
 *     the largest Gather table of the graph and the length is unknown (0); the parameters are counted in the graph.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { numel } from '../onnx/dtype.js';
import { loadModel } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { walkGraphs } from '../onnx/traverse.js';
import { jsonChecker } from '../util/json-schema.js';
import { bareFillMaskTlc, MODEL_TASKS, TLC_MODEL_FORMAT, type TlcModelJson } from './tlc-json.js';

export const TLC_JSON = 'tlc.json';
/** Where a fill-mask folder without tlc.json keeps its graph (Optimum's name). */
export const BARE_MODEL_FILE = 'onnx/model.onnx';

const TLC_SCHEMA = {
  type: 'object',
  required: ['format', 'task', 'architecture', 'parameters', 'variants'],
  properties: {
    format: { const: TLC_MODEL_FORMAT },
    task: { enum: MODEL_TASKS },
    architecture: {
      type: 'object',
      required: ['family', 'maxLength', 'vocabSize'],
      properties: {
        family: { enum: ['roberta', 'marian'] },
        layers: { type: 'integer', minimum: 0 },
        dModel: { type: 'integer', minimum: 0 },
        heads: { type: 'integer', minimum: 0 },
        ffn: { type: 'integer', minimum: 0 },
        maxLength: { type: 'integer', minimum: 0 },
        vocabSize: { type: 'integer', minimum: 0 },
        positions: { enum: ['learned', 'alibi'] },
      },
    },
    parameters: {
      type: 'object',
      required: ['total', 'nonEmbedding'],
      properties: { total: { type: 'number' }, nonEmbedding: { type: 'number' } },
    },
    variants: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'files', 'recipe', 'bytes'],
        properties: {
          name: { type: 'string', minLength: 1 },
          files: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(?!/)(?!.*\\.\\.)' } },
          recipe: { type: 'array', items: { type: 'string' } },
          bytes: { type: 'number', minimum: 0 },
          metrics: { type: 'object', additionalProperties: { type: 'number' } },
          latency: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
    },
  },
} as const;

const checkTlc = jsonChecker<TlcModelJson>(TLC_SCHEMA, 'MODEL_INVALID');

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${path}: cannot read JSON (${messageOf(error)})`, { cause: error });
  }
}

/** The folder's own tlc.json, checked; undefined when it has none. */
export function readTlcJson(dir: string): TlcModelJson | undefined {
  const path = join(dir, TLC_JSON);
  return existsSync(path) ? checkTlc(readJsonFile(path), path) : undefined;
}

/** The largest first dimension of a 2-D table read by Gather: the vocabulary of a foreign model. */
export function guessVocab(model: Model): number {
  let vocab = 0;
  for (const node of model.graph.nodes) {
    if (node.opType !== 'Gather') continue;
    const t = model.graph.initializers.get(node.inputs[0] ?? '');
    if (t !== undefined && t.dims.length === 2) vocab = Math.max(vocab, t.dims[0]!);
  }
  return vocab || 1000;
}

function countParameters(model: Model): number {
  let n = 0;
  walkGraphs(model.graph, (g) => {
    for (const t of g.initializers.values()) n += numel(t.dims);
  });
  return n;
}

/** tlc.json for a fill-mask graph `file` (relative to `dir`) that came without one; `model` if already loaded. */
export function bareTlc(dir: string, file: string, model: Model = loadModel(join(dir, file))): TlcModelJson {
  const configPath = join(dir, 'config.json');
  const config = (existsSync(configPath) ? readJsonFile(configPath) : {}) as {
    vocab_size?: unknown;
    max_position_embeddings?: unknown;
  };
  const number = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  return bareFillMaskTlc({
    vocabSize: number(config.vocab_size) ?? guessVocab(model),
    maxLength: number(config.max_position_embeddings) ?? 0,
    parameters: countParameters(model),
    file,
    bytes: statSync(join(dir, file)).size,
  });
}

/** True when `dir` looks like a model folder (tlc.json, or the bare graph). */
export function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, TLC_JSON)) || existsSync(join(dir, BARE_MODEL_FILE));
}

/** tlc.json of a model folder: its own, checked, or the one the bare-folder rule makes up. */
export function modelFolderTlc(dir: string): TlcModelJson {
  const own = readTlcJson(dir);
  if (own !== undefined) return own;
  if (!existsSync(join(dir, BARE_MODEL_FILE)))
    throw new TlcError('MODEL_INVALID', `${dir}: neither ${TLC_JSON} nor ${BARE_MODEL_FILE}`);
  return bareTlc(dir, BARE_MODEL_FILE);
}
