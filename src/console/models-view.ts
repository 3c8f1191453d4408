/** The Models view: every model with its task, size and status, and a table of its variants. */
import { headlineLabel, headlineOf, type ModelRow, type TaskMetric, type VariantRow } from './api.js';
import { el, fmtBytes, fmtMs } from './dom.js';

/** The headline score of a variant in points (MLM accuracy in %, BLEU), from its task's metric (/v1/models). */
export function score(
  metrics: Readonly<Record<string, number>> | undefined,
  metric: TaskMetric | undefined,
): number | undefined {
  const value = metric === undefined ? undefined : metrics?.[metric.key];
  return value === undefined || metric === undefined ? undefined : value * metric.points;
}

/** "4.1M / 8.2M": non-zero and all parameters, as export-and-compress counted them (– when unknown). */
function nonZero(v: VariantRow): string {
  const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  return v.parameters === undefined ? '–' : `${m(v.non_zero ?? v.parameters)} / ${m(v.parameters)}`;
}

function architecture(m: ModelRow): string {
  const a = m.architecture ?? {};
  const parts = [
    a.family,
    a.layers !== undefined ? `${String(a.layers)} layers` : undefined,
    a.dModel !== undefined ? `width ${String(a.dModel)}` : undefined,
    a.heads !== undefined ? `${String(a.heads)} heads` : undefined,
    a.positions,
  ].filter((x) => x !== undefined && x !== '');
  const params = m.parameters?.total;
  return `${parts.join(', ')}${params !== undefined ? ` · ${(params / 1e6).toFixed(2)}M parameters` : ''}`;
}

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/** The title of a size variant's badge; the CPU and speed-up it was timed at follow when the folder says. */
const SIZE_TITLE = 'not faster than fp32 on the CPU it was timed on; kept for its size';

function nameCell(v: VariantRow): HTMLElement {
  if (v.kind !== 'size') return el('td', {}, v.name);
  const at = [
    v.latency?.cpu,
    v.latency?.speedup !== undefined ? `${v.latency.speedup.toFixed(2)}× fp32` : undefined,
  ].filter((x) => x !== undefined);
  const title = at.length === 0 ? SIZE_TITLE : `${SIZE_TITLE} (${at.join(', ')})`;
  return el('td', {}, v.name, ' ', el('span', { class: 'badge size', title }, 'size variant'));
}

/** The probe's agreement here, in % (– when it was not run or could not run here). */
function probeCell(v: VariantRow): HTMLElement {
  const p = v.probe;
  if (p?.agreement === undefined || p.agreement === null) return el('td', { class: 'num' }, '–');
  const where = [
    `agreement with fp32 on the fidelity probe: ${pct(p.agreement)} here${p.cpu ? ` (${p.cpu})` : ''}`,
    p.compressed_agreement !== undefined
      ? `${pct(p.compressed_agreement)} where compressed${p.compressed_cpu ? ` (${p.compressed_cpu})` : ''}`
      : undefined,
    p.tolerance !== undefined ? `tolerance ${(p.tolerance * 100).toFixed(0)} points` : undefined,
  ].filter((x) => x !== undefined);
  return el('td', { class: 'num', title: where.join('; ') }, pct(p.agreement));
}

/** Loaded, not loaded (and why), or degraded: the probe here against where compressed, the reason as title. */
function stateCell(v: VariantRow): HTMLElement {
  if (v.status === 'building')
    return el(
      'td',
      { class: 'state building', title: 'being built and scored; served once it is done' },
      'building…',
    );
  if (!v.loaded) return el('td', { class: 'state' }, `not loaded${v.error ? `: ${v.error}` : ''}`);
  if (v.status !== 'degraded') return el('td', { class: 'state' }, 'loaded');
  const here = v.probe?.agreement;
  const there = v.probe?.compressed_agreement;
  const figures =
    here !== undefined && here !== null && there !== undefined
      ? `: probe ${pct(here)} here vs ${pct(there)} where compressed`
      : '';
  return el(
    'td',
    { class: 'state degraded', title: v.degraded_reason ?? 'failed its fidelity probe on this server' },
    `degraded${figures}`,
  );
}

function variantRow(v: VariantRow, metric: TaskMetric | undefined): HTMLElement {
  return el(
    'tr',
    {},
    nameCell(v),
    el('td', {}, v.status === 'building' ? '' : v.recipe.length === 0 ? 'fp32' : v.recipe.join(' + ')),
    el('td', { class: 'num' }, v.status === 'building' ? '–' : fmtBytes(v.bytes)),
    el('td', { class: 'num' }, nonZero(v)),
    el('td', { class: 'num' }, score(v.metrics, metric)?.toFixed(2) ?? '–'),
    probeCell(v),
    el(
      'td',
      { class: 'num', ...(v.latency?.cpu ? { title: `timed on ${v.latency.cpu}` } : {}) },
      fmtMs(v.latency?.p50_ms),
    ),
    el('td', { class: 'num' }, fmtMs(v.latency?.p95_ms)),
    el('td', { class: 'num' }, fmtMs(v.live_p95_ms)),
    stateCell(v),
  );
}

export function modelsView(models: readonly ModelRow[]): HTMLElement {
  if (models.length === 0) return el('p', {}, 'No models are loaded.');
  const cards = models.map((m) => {
    const metric = headlineOf(m);
    const rows = m.variants.map((v) => variantRow(v, metric));
    const scoreName = headlineLabel(metric, ' ');
    return el(
      'section',
      { class: 'card', 'data-model': m.name },
      el('h3', {}, m.name, ' ', el('span', { class: `status ${m.status}` }, m.status)),
      el('p', { class: 'meta' }, `${m.task ?? 'unknown task'} · ${m.device} · ${architecture(m)}`),
      m.error ? el('p', { class: 'error' }, m.error) : null,
      m.reload_error ? el('p', { class: 'error' }, `last reload failed: ${m.reload_error}`) : null,
      el(
        'div',
        { class: 'scroll' },
        el(
          'table',
          { class: 'variants' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...[
                'variant',
                'recipe',
                'size',
                'non-zero / params',
                scoreName,
                'probe',
                'p50 ms',
                'p95 ms',
                'live p95',
                'state',
              ].map((h) => el('th', {}, h)),
            ),
          ),
          el('tbody', {}, ...rows),
        ),
      ),
    );
  });
  return el('div', { class: 'models' }, ...cards);
}
