/** The run's JSONL log: one row per evaluation, appended (a resumed run continues the same file). */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

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

export function readLog(path: string): LogRow[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogRow);
}
