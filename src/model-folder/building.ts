/**
 * `building.json` in a model folder: the variants still being built for it (their names), written by whoever
 * builds them beside a served fp32 folder (`npm start`'s `models:build --fp32-first`). The folder that replaces
 * it when they are done has none. `GET /v1/models` lists them as `building`; nothing serves them until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUILDING_FILE = 'building.json';

/** The names of the variants being built for the folder ([] without a readable building.json). */
export function readBuilding(dir: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, BUILDING_FILE), 'utf8')) as { variants?: unknown };
    return Array.isArray(parsed.variants)
      ? parsed.variants.filter((v): v is string => typeof v === 'string')
      : [];
  } catch {
    return [];
  }
}

export function writeBuilding(dir: string, variants: readonly string[]): void {
  writeFileSync(join(dir, BUILDING_FILE), `${JSON.stringify({ variants }, null, 2)}\n`);
}
