/** A `startServer` on loopback for tests (one thread, no process metrics, quiet) and JSON POSTs to it. */
import { type RunningServer, startServer } from '../../src/server/server.js';

export function startTestServer(modelsDir: string): Promise<RunningServer> {
  return startServer({
    modelsDir,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    processMetrics: false,
    log: () => {},
  });
}

/** POSTs `body` as JSON; the status and the parsed answer. */
export async function postJson(
  server: RunningServer,
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}
