/**
 * The "Examples" section of a built-in model's card: the task row's fixed inputs sent to TLC's own server over
 * HTTP (the built folder in .cache/models, fp32 variant), answers quoted as the server returns them. The first
 * fill-mask sentence is the README's curl, so the card shows what a user of the quick start sees.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../src/run-folder/run-config.js';
import { startServer } from '../src/server/server.js';
import type { CardRow } from './card/row.js';

/** Markdown for the examples of `name` (a folder under `cacheModels`). */
export async function cardExamples(
  name: string,
  run: RunConfig,
  row: CardRow,
  cacheModels: string,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tlc-card-'));
  cpSync(join(cacheModels, name), join(dir, name), { recursive: true });
  const server = await startServer({
    modelsDir: dir,
    port: 0,
    host: '127.0.0.1',
    threads: 2,
    processMetrics: false,
    log: () => {},
  });
  const post = async (route: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${server.url}/v1/models/${name}/${route}?variant=fp32`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${route} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  try {
    return await row.examples(name, run, post);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
