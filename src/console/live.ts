/** The Live view: requests per second, recent p50/p95, queue depth and batch size per variant, polled every 2 s. */
import { ApiError, call, type StatsRow } from './api.js';
import { el, errorBox, fmtMs } from './dom.js';

interface Sample {
  readonly time: number;
  readonly rows: readonly StatsRow[];
}

const HISTORY = 60;

/** Requests per second of each variant between two samples. */
export function rates(previous: Sample | undefined, current: Sample): Map<string, number> {
  const out = new Map<string, number>();
  const seconds = previous ? (current.time - previous.time) / 1000 : 0;
  for (const r of current.rows) {
    const before = previous?.rows.find((p) => p.model === r.model && p.variant === r.variant);
    out.set(
      `${r.model}/${r.variant}`,
      before && seconds > 0 ? Math.max(0, r.requests - before.requests) / seconds : 0,
    );
  }
  return out;
}

function sparkline(values: readonly number[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${HISTORY} 20`);
  svg.setAttribute('class', 'spark');
  const max = Math.max(1e-9, ...values);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', values.map((v, i) => `${i},${(20 - (v / max) * 18).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

export function liveView(): { element: HTMLElement; stop: () => void } {
  const table = el('tbody');
  const status = el('p', { class: 'meta' }, 'waiting for the first sample…');
  const history = new Map<string, number[]>();
  let previous: Sample | undefined;
  const poll = async () => {
    try {
      const { body } = await call<{ time_ms: number; variants: StatsRow[] }>('GET', '/v1/stats');
      const sample = { time: body.time_ms, rows: body.variants };
      const rps = rates(previous, sample);
      previous = sample;
      table.replaceChildren(
        ...sample.rows.map((r) => {
          const k = `${r.model}/${r.variant}`;
          const h = [...(history.get(k) ?? []), rps.get(k) ?? 0].slice(-HISTORY);
          history.set(k, h);
          return el(
            'tr',
            {},
            el('td', {}, k),
            el('td', { class: 'num' }, (rps.get(k) ?? 0).toFixed(1)),
            el('td', {}, sparkline(h)),
            el('td', { class: 'num' }, fmtMs(r.p50_ms)),
            el('td', { class: 'num' }, fmtMs(r.p95_ms)),
            el('td', { class: 'num' }, String(r.queue_depth)),
            el('td', { class: 'num' }, r.mean_batch === null ? '–' : r.mean_batch.toFixed(2)),
            el('td', { class: 'num' }, `${r.requests} / ${r.errors}`),
          );
        }),
      );
      status.replaceChildren(`updated ${new Date(sample.time).toLocaleTimeString()}`);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError('ERROR', String(error), 0);
      status.replaceChildren(errorBox(e.code, e.message));
    }
  };
  void poll();
  const timer = setInterval(poll, 2000);
  const head = ['variant', 'req/s', 'last 2 min', 'p50 ms', 'p95 ms', 'queue', 'batch', 'requests / errors'];
  const element = el(
    'div',
    { class: 'live' },
    status,
    el(
      'div',
      { class: 'scroll' },
      el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), table),
    ),
  );
  return { element, stop: () => clearInterval(timer) };
}
