/**
 * One load-generating client with its own loopback address (127.0.0.0/8 is all loopback on Linux), so the
 * server tells clients apart by address as it would on a network: its fair queue and per-client budget key on
 * the remote address when no API key is sent.
 */
import { Agent, request } from 'node:http';

export interface Sent {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

export interface Reply {
  /** 0 when the connection failed. */
  readonly status: number;
  readonly body: string;
  /** Wall time from sending to the last byte of the answer. */
  readonly ms: number;
  readonly retryAfter?: number;
}

export interface Client {
  send(r: Sent): Promise<Reply>;
  close(): void;
}

/** A client at `localAddress` (one kept-alive connection) talking to `url`. */
export function clientAt(url: string, localAddress: string): Client {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (r: Sent) =>
    new Promise<Reply>((resolve) => {
      const t0 = performance.now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          method: r.method,
          path: r.path,
          agent,
          localAddress,
          headers: r.body === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const retryAfter = Number(res.headers['retry-after']);
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              ms: performance.now() - t0,
              ...(Number.isFinite(retryAfter) && { retryAfter }),
            });
          });
          res.on('error', (e) => resolve({ status: 0, body: String(e), ms: performance.now() - t0 }));
        },
      );
      req.on('error', (e) => resolve({ status: 0, body: String(e), ms: performance.now() - t0 }));
      req.end(r.body);
    });
  return { send, close: () => agent.destroy() };
}
