/** The run's JSONL log: one row per evaluation, appended (a resumed run continues the same file). */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { messageOf, TlcError } from '../errors/index.js';
import { jsonChecker } from '../util/json-schema.js';

export interface LogRow {
  readonly step: number;
  /** Training seconds so far (evaluation excluded), across resumes. */
  readonly seconds: number;
  /** Wall-clock seconds since the run (first) started, evaluation included. */
  readonly wall_seconds: number;
  readonly tokens: number;
  /** Mean training loss since the previous row. */
  readonly train_loss: number;
  readonly lr: number;
  readonly validation: Readonly<Record<string, number>>;
}

export function appendLog(path: string, row: LogRow): void {
  appendFileSync(path, `${JSON.stringify(row)}\n`);
}

/**
 * On resume: drops the rows written after the checkpoint the run continues from (a run killed between an
 * evaluation and its next checkpoint logged steps it will train again), so that no step appears twice.
 * Returns how many rows were dropped. Lines are kept as written; the file is replaced atomically.
 */
export function truncateLog(path: string, step: number): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      return (JSON.parse(line) as { step?: number }).step! <= step;
    } catch {
      return false; // a line cut short by the kill
    }
  });
  if (kept.length === lines.length) return 0;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
  renameSync(tmp, path);
  return lines.length - kept.length;
}

const LOG_ROW_SCHEMA = {
  type: 'object',
  required: ['step', 'seconds', 'tokens', 'train_loss', 'lr', 'validation'],
  properties: {
    step: { type: 'integer', minimum: 0 },
    seconds: { type: 'number' },
    tokens: { type: 'number' },
    train_loss: { type: ['number', 'null'] },
    lr: { type: 'number' },
    validation: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
  },
} as const;

const checkRow = jsonChecker<LogRow>(LOG_ROW_SCHEMA, 'CHECKPOINT_FAILED');

/** The rows of a run's log, each checked (a missing file is an empty log). */
export function readLog(path: string): LogRow[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, i }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new TlcError('CHECKPOINT_FAILED', `${path} line ${i + 1}: not JSON (${messageOf(error)})`);
      }
      return checkRow(value, `${path} line ${i + 1}`);
    });
}
