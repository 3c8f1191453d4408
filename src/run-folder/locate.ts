/** Finding a run's folder and checkpoint from what a user points at. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { BEST_FILE, CHECKPOINT_FILE } from './files.js';

/** A run folder (its best checkpoint, else the latest) or a checkpoint file inside one. */
export function locateCheckpoint(target: string): { dir: string; checkpoint: string } {
  if (!existsSync(target))
    throw new TlcError('CHECKPOINT_FAILED', `${target}: no such run folder or checkpoint`);
  if (statSync(target).isDirectory()) {
    const best = join(target, BEST_FILE);
    const latest = join(target, CHECKPOINT_FILE);
    const checkpoint = existsSync(best) ? best : latest;
    if (!existsSync(checkpoint))
      throw new TlcError('CHECKPOINT_FAILED', `${target}: no checkpoint in this folder`);
    return { dir: target, checkpoint };
  }
  return { dir: dirname(target), checkpoint: target };
}
