/**
 * `tlc serve --watch`: the models folder as the source of truth while the server runs. Every interval it looks
 * again: a new model folder is loaded, one whose files changed (tlc.json, config.json or a graph: size, time or
 * inode, so an atomic rename counts) is reloaded — the new version built beside the old one, which keeps serving
 * if the new one fails — and one that is gone for two looks in a row is unloaded (a folder being replaced by a
 * rename is briefly absent). Loads run one at a time, in the background of serving. This is how `npm start`
 * serves each built-in model as soon as its fp32 export exists and swaps in the compressed variants later.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../errors/index.js';
import type { ModelHandle, ModelRegistry } from './registry.js';

/** What identifies a version of a model folder: the stats of the files that define it. */
export function folderFingerprint(dir: string): string {
  const parts: string[] = [];
  const add = (file: string) => {
    try {
      const s = statSync(file);
      parts.push(`${file}:${s.size}:${s.mtimeMs}:${s.ino}`);
    } catch {} // absent or going away: the next look sees the outcome
  };
  for (const sub of [dir, join(dir, 'onnx')]) {
    let names: string[] = [];
    try {
      names = readdirSync(sub).sort();
    } catch {
      continue;
    }
    for (const name of names)
      if (name === 'tlc.json' || name === 'config.json' || name.endsWith('.onnx')) add(join(sub, name));
  }
  return parts.join('|');
}

export interface WatchOptions {
  readonly intervalMs: number;
  readonly log?: (message: string) => void;
  /** Told of each model it (re)loaded, so that its metrics series exist before traffic. */
  readonly onLoaded?: (model: ModelHandle) => void;
}

export class ModelWatcher {
  private readonly seen = new Map<string, string>();
  private readonly missing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: WatchOptions,
  ) {
    // What is loaded now is the baseline: the first look changes nothing that did not change.
    for (const m of registry.list()) this.seen.set(m.name, folderFingerprint(join(registry.root, m.name)));
  }

  start(): void {
    this.timer = setInterval(() => {
      this.looking ??= this.look().finally(() => {
        this.looking = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops looking; resolves once a look in progress (and the load it started) is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.looking;
  }

  /** One look at the folder: loads, reloads and unloads what changed (exported for tests). */
  async look(): Promise<void> {
    const log = this.options.log ?? (() => {});
    const present = new Set(this.registry.discover());
    for (const name of present) {
      this.missing.delete(name);
      const print = folderFingerprint(join(this.registry.root, name));
      if (this.seen.get(name) === print) continue;
      const known = this.seen.has(name);
      this.seen.set(name, print);
      log(`${name}: ${known ? 'changed on disk, reloading' : 'new in the models folder, loading'}`);
      try {
        const model = await this.registry.load(name);
        if (model.status !== 'ready')
          log(`${name}: ${model.status}${model.error ? ` (${model.error})` : ''}`);
        this.options.onLoaded?.(model);
      } catch (error) {
        log(`${name}: ${messageOf(error)}`);
      }
    }
    for (const name of [...this.seen.keys()].filter((n) => !present.has(n))) {
      if (!this.missing.has(name)) {
        this.missing.add(name); // absent once: perhaps a rename in progress
        continue;
      }
      this.missing.delete(name);
      this.seen.delete(name);
      log(`${name}: gone from the models folder, unloading`);
      try {
        await this.registry.unload(name);
      } catch (error) {
        log(`${name}: ${messageOf(error)}`);
      }
    }
  }
}
