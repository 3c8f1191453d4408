/**
 * One writer per run folder: `run.lock` names the process that writes it (PID, its parent, host, start time).
 * Two runs in one folder would interleave their log rows and overwrite each other's checkpoints, so a second run
 * or `--resume` is refused with the holder's PID. A lock whose process is gone (a run killed with SIGKILL, a
 * crashed machine) is stale and taken over; so is one whose PID now belongs to a process started at another time
 * (PIDs are reused, and a container's restart hands out the same small ones again). A lock from another host
 * cannot be checked, so it is refused with the path to remove.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { LOCK_FILE } from './files.js';

/** What run.lock holds. */
export interface LockHolder {
  readonly pid: number;
  /** The holder's parent: for `tlc train`, the launcher whose PID the shell knows (cli/malloc-tuning.ts). */
  readonly parent: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** The holder's start time in clock ticks after boot (Linux's /proc/<pid>/stat), to tell a reused PID. */
  readonly started?: number;
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock if it is still this one; also done when the process exits. */
  release(): void;
}

/**
 * Whether a process with this PID runs on this machine (EPERM: it does, under another user). A zombie — dead, not
 * yet reaped, as a killed run is when its launcher was killed too and nothing reaps orphans (a container without an
 * init) — answers signals but runs nothing: state Z (or X) in /proc/<pid>/stat.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readText(`/proc/${pid}/stat`);
  const state =
    stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** When `pid` started (field 22 of /proc/<pid>/stat), where the system says. */
export function processStart(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // fields from the 3rd on, after the name
  return field === undefined ? undefined : Number(field);
}

/** Whether the process that took the lock still runs (on this host). */
function holderRuns(h: LockHolder): boolean {
  if (!processRuns(h.pid)) return false;
  const now = h.started === undefined ? undefined : processStart(h.pid);
  return now === undefined || now === h.started;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? (h as LockHolder) : undefined;
  } catch {
    return undefined; // cut short by a kill or a full disk: nobody can be shown to hold it
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // released in the meantime
  }
}

function refusal(dir: string, path: string, h: LockHolder): TlcError {
  const elsewhere = h.host !== hostname();
  const who = `PID ${h.pid}${h.parent > 0 ? `, launched by PID ${h.parent}` : ''}${elsewhere ? ` on ${h.host}` : ''}`;
  const hint = elsewhere
    ? `if no run writes it any more, remove ${path}`
    : 'wait for it to finish or stop it (it saves a checkpoint on SIGTERM), or choose another --out';
  return new TlcError(
    'RUN_LOCKED',
    `${dir} is being written by another run (${who}, since ${h.since}); ${hint}`,
  );
}

/**
 * Moves a stale lock aside and deletes it, unless what was moved is no longer the stale text (another process
 * took the lock over first): that one is put back.
 */
function takeOver(path: string, stale: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already
  }
  if (readText(aside) !== stale) {
    try {
      linkSync(aside, path);
    } catch {}
  }
  rmSync(aside, { force: true });
}

/** Creates run.lock with its content in one step (a hard link fails if the name exists). */
function tryCreate(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new TlcError('RUN_LOCKED', `${path}: cannot create the run lock (${messageOf(error)})`, {
      cause: error,
    });
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Takes the run folder's lock (the folder must exist), or throws RUN_LOCKED naming the process that holds it. */
export function lockRunFolder(dir: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const started = processStart(process.pid);
  const mine: LockHolder = {
    pid: process.pid,
    parent: process.ppid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(started !== undefined && { started }),
  };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, text)) return held(path, text);
    const current = readText(path);
    if (current === undefined) continue;
    const holder = parseHolder(current);
    if (holder !== undefined && (holder.host !== mine.host || holderRuns(holder)))
      throw refusal(dir, path, holder);
    takeOver(path, current);
  }
  throw new TlcError('RUN_LOCKED', `${dir}: another run keeps taking ${LOCK_FILE}; try again`);
}

function held(path: string, text: string): RunLock {
  const release = (): void => {
    process.off('exit', release);
    if (readText(path) === text) rmSync(path, { force: true });
  };
  // process.exit (a second Ctrl-C) skips `finally` blocks but runs 'exit' listeners.
  process.on('exit', release);
  return { path, release };
}
