/**
 * Writing a model folder atomically: everything goes to a temporary sibling folder that is renamed at the end.
 * Siblings left by killed runs (`.<name>.<pid>.tmp`, whose process is gone) are removed on the next run.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';

/**
 * Runs `write(tmpDir)` and then moves the result to `dir`. An interrupted or failed export leaves no
 * half-written folder behind; an existing folder is replaced only with `replace`.
 */
export async function writeFolderAtomically(
  dir: string,
  replace: boolean,
  write: (tmp: string) => Promise<void> | void,
): Promise<void> {
  const target = resolve(dir);
  if (existsSync(target) && !replace) {
    throw new TlcError(
      'EXPORT_FAILED',
      `${dir} already exists; choose another --out or pass --force to replace it`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  removeStale(target);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await write(tmp);
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (error instanceof TlcError) throw error;
    throw new TlcError('EXPORT_FAILED', `${dir}: cannot write the model folder (${messageOf(error)})`, {
      cause: error,
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes `.<name>.<pid>.tmp` (and `.old`) siblings of `target` whose process no longer runs. */
export function removeStale(target: string): string[] {
  const prefix = `.${basename(target)}.`;
  const removed: string[] = [];
  for (const entry of readdirSync(dirname(target))) {
    const m = /^(\d+)\.tmp(\.old)?$/.exec(entry.startsWith(prefix) ? entry.slice(prefix.length) : '');
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    rmSync(join(dirname(target), entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
