/**
 * Reading a model folder's tlc.json, in one place, with one rule for folders that have none:
 *   - `tlc.json` present: parsed and checked against the schema below (MODEL_INVALID names the field);
 *   - absent: a folder from another tool (Optimum, a PyTorch export with config.json): foreign.ts reads its
 *     layout, config.json and graphs into the same shape, task included.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { jsonChecker } from '../util/json-schema.js';
import { readForeignModel } from './foreign.js';
import { findLayout, type LayoutResult } from './layout.js';
import {
  isServedTask,
  MODEL_TASKS,
  type ModelTask,
  TLC_MODEL_FORMAT,
  type TlcModelJson,
  UNSERVED_TASKS,
} from './tlc-json.js';

export const TLC_JSON = 'tlc.json';

const TLC_SCHEMA = {
  type: 'object',
  required: ['format', 'task', 'architecture', 'parameters', 'variants'],
  properties: {
    format: { const: TLC_MODEL_FORMAT },
    task: { enum: [...MODEL_TASKS, ...UNSERVED_TASKS] },
    architecture: {
      type: 'object',
      required: ['family', 'maxLength', 'vocabSize'],
      properties: {
        family: { type: 'string', minLength: 1 },
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
          parameters: { type: 'number', minimum: 0 },
          nonZero: { type: 'number', minimum: 0 },
          metrics: { type: 'object', additionalProperties: { type: 'number' } },
          latency: {
            type: 'object',
            required: ['p50_ms', 'p95_ms'],
            properties: { cpu: { type: 'string' } },
            additionalProperties: { type: 'number' },
          },
          check: {
            type: 'object',
            required: ['agreement', 'rows', 'cpu'],
            properties: {
              agreement: { type: 'number', minimum: 0, maximum: 1 },
              rows: { type: 'integer', minimum: 1 },
              cpu: { type: 'string' },
            },
          },
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

/** Whether `dir` holds a model (tlc.json, or graphs in a layout TLC reads), and why not when it does not. */
export function modelFolderCheck(dir: string): LayoutResult | { readonly ok: true } {
  return existsSync(join(dir, TLC_JSON)) ? { ok: true } : findLayout(dir);
}

/** tlc.json of a model folder: its own, checked, or the one read from a foreign folder's files. */
export function modelFolderTlc(dir: string): TlcModelJson {
  return readTlcJson(dir) ?? readForeignModel(dir).tlc;
}

/** The folder's task when TLC serves it; TASK_NOT_SERVED (with how the task was detected) when not. */
export function servedTask(tlc: TlcModelJson, where: string): ModelTask {
  if (isServedTask(tlc.task)) return tlc.task;
  throw new TlcError(
    'TASK_NOT_SERVED',
    `${where}: task not served: a ${tlc.task} model${tlc.source ? ` (${tlc.source.detected})` : ''}; TLC serves ${MODEL_TASKS.join(', ')}`,
  );
}
