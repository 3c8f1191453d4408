/**
 * Temporary files of killed runs. Files are written beside their target and renamed into place
 * (`.<name>.<pid>.tmp` for checkpoints, `<name>.<pid>.tmp` for the log), so a run killed mid-write leaves one
 * behind: a checkpoint's worth of bytes that nothing else would ever remove.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processRuns } from './lock.js';

const TEMPORARY = /^\.?.+\.(\d+)\.tmp$/;

/** Removes the temporary files in `dir` whose writing process is gone; returns their names and total size. */
export function removeStaleTemporaries(dir: string): { files: string[]; bytes: number } {
  const files: string[] = [];
  let bytes = 0;
  for (const entry of readdirSync(dir)) {
    const m = TEMPORARY.exec(entry);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    const path = join(dir, entry);
    try {
      bytes += statSync(path).size;
      rmSync(path, { recursive: true, force: true });
      files.push(entry);
    } catch {} // removed by someone else meanwhile
  }
  return { files, bytes };
}
