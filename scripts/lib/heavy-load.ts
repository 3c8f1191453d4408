/**
 * Heavy but legal work beside light clients (bench:abuse --heavy): the requests of the fairness issue, and a
 * phase driver that runs light clients (each sending its next request when the last is answered) beside heavy
 * ones, every client from its own loopback address.
 */
import { percentile } from '../../src/util/percentile.js';
import { type Client, clientAt, type Sent } from './client.js';

interface Targets {
  /** A fill-mask model: served graph inputs input_ids, attention_mask, mask_rows, top_k; 128 positions. */
  readonly fillMask: string;
  readonly translate: string;
}

export interface Named extends Sent {
  readonly name: string;
}

const WORDS = 'the people have long known the value of a good river and the fields beside it'.split(' ');

/** The heavy requests of the issue: each legal (200 when served), each many times a light one's work. */
export function heavyRequests(t: Targets): Named[] {
  const row = Array.from({ length: 128 }, (_, j) => (j === 0 ? 0 : j === 127 ? 2 : 20 + (j % 50)));
  const ids = Array.from({ length: 64 }, () => row).flat();
  const int64 = (name: string, shape: number[], data: number[]) => ({ name, shape, datatype: 'INT64', data });
  const raw = {
    inputs: [
      int64('input_ids', [64, 128], ids),
      int64(
        'attention_mask',
        [64, 128],
        ids.map(() => 1),
      ),
      int64(
        'mask_rows',
        [64],
        Array.from({ length: 64 }, (_, i) => i * 128 + 5),
      ),
      int64('top_k', [1], [5]),
    ],
  };
  // 50 masks between 50 one-token words (about 102 tokens of 128); top_k 3 keeps 9600 candidates under the
  // answer cap of 10,000.
  const masked = Array.from({ length: 100 }, (_, i) =>
    i % 2 === 0 ? '<mask>' : WORDS[i % WORDS.length],
  ).join(' ');
  const page = Array.from({ length: 512 }, (_, i) => WORDS[i % WORDS.length]).join(' ');
  return [
    {
      name: 'raw v2 [64, 128]',
      method: 'POST',
      path: `/v2/models/${t.fillMask}/infer`,
      body: JSON.stringify(raw),
    },
    {
      name: '64 inputs × 50 masks',
      method: 'POST',
      path: `/v1/models/${t.fillMask}/fill-mask`,
      body: JSON.stringify({ inputs: Array(64).fill(masked), parameters: { top_k: 3 } }),
    },
    {
      name: 'beam 8 over 512 tokens',
      method: 'POST',
      path: `/v1/models/${t.translate}/translate`,
      body: JSON.stringify({
        inputs: page,
        parameters: { num_beams: 8, max_new_tokens: 512, truncation: true },
      }),
    },
  ];
}

export interface LightKind {
  readonly name: string;
  /** The i-th request of client `id`. */
  readonly request: (id: number, i: number) => Sent;
}

export interface PhaseResult {
  /** Per light kind: latencies of answered (200) requests, in ms. */
  readonly light: Map<string, number[]>;
  readonly lightFailures: { kind: string; status: number; body: string }[];
  /** Per heavy request: answers by status. */
  readonly heavy: Map<string, Map<number, number>>;
}

/** Local addresses: light clients on 127.0.1.x, heavy ones on 127.0.2.x. */
const address = (group: number, k: number) => `127.0.${group}.${10 + k}`;

/**
 * `light` clients (spread over the kinds) and `heavy` clients (each cycling through the heavy requests, from
 * its own offset, and waiting out a 429's Retry-After, up to 2 s, as a well-behaved client does) until
 * `deadline` (performance.now()).
 */
export async function runPhase(
  url: string,
  o: {
    kinds: readonly LightKind[];
    light: number;
    heavy: number;
    heavyRequests: readonly Named[];
    deadline: number;
  },
): Promise<PhaseResult> {
  const result: PhaseResult = { light: new Map(), lightFailures: [], heavy: new Map() };
  const clients: Client[] = [];
  const lightClient = async (k: number) => {
    const kind = o.kinds[k % o.kinds.length]!;
    const client = clientAt(url, address(1, k));
    clients.push(client);
    const times = result.light.get(kind.name) ?? [];
    result.light.set(kind.name, times);
    for (let i = 0; performance.now() < o.deadline; i++) {
      const a = await client.send(kind.request(k, i));
      if (a.status === 200) times.push(a.ms);
      else result.lightFailures.push({ kind: kind.name, status: a.status, body: a.body.slice(0, 160) });
    }
  };
  const heavyClient = async (k: number) => {
    const client = clientAt(url, address(2, k));
    clients.push(client);
    for (let i = k; performance.now() < o.deadline; i++) {
      const r = o.heavyRequests[i % o.heavyRequests.length]!;
      const a = await client.send(r);
      const byStatus = result.heavy.get(r.name) ?? new Map<number, number>();
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      result.heavy.set(r.name, byStatus);
      if (a.status === 429) await new Promise((s) => setTimeout(s, Math.min(2, a.retryAfter ?? 1) * 1000));
    }
  };
  await Promise.all([
    ...Array.from({ length: o.light }, (_, k) => lightClient(k)),
    ...Array.from({ length: o.heavy }, (_, k) => heavyClient(k)),
  ]);
  for (const c of clients) c.close();
  return result;
}

/** p95 of each light kind, and of all light requests together. */
export function lightP95(r: PhaseResult): Map<string, number> {
  const out = new Map<string, number>();
  const all: number[] = [];
  for (const [kind, times] of r.light) {
    out.set(
      kind,
      percentile(
        [...times].sort((a, b) => a - b),
        95,
      ),
    );
    all.push(...times);
  }
  out.set(
    'all light',
    percentile(
      all.sort((a, b) => a - b),
      95,
    ),
  );
  return out;
}
