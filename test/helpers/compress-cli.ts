/**
 * `export-and-compress` run as a user runs it (a child process through its bin script), with the small settings
 * the CLI tests share: no timing, one thread, 2 × 16 sample inputs.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SMALL = ['--no-latency', '--threads', '1', '--batch', '2', '--sequence', '16'];

export function exportAndCompress(
  source: string,
  out: string,
  args: readonly string[],
): SpawnSyncReturns<string> {
  const script = join(ROOT, 'src', 'cli', 'export-and-compress.ts');
  return spawnSync(process.execPath, ['--import', 'tsx', script, source, '--out', out, ...args, ...SMALL], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}
