/** The Models view: every model with its task, size and status, and a table of its variants. */
import type { ModelRow, VariantRow } from './api.js';
import { el, fmtBytes, fmtMs } from './dom.js';

/** The headline score of a variant: MLM accuracy in %, or BLEU. */
export function score(metrics: Readonly<Record<string, number>> | undefined): number | undefined {
  if (metrics === undefined) return undefined;
  if (metrics.accuracy !== undefined) return metrics.accuracy * 100;
  return metrics.bleu;
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

export function modelsView(models: readonly ModelRow[]): HTMLElement {
  if (models.length === 0) return el('p', {}, 'No models are loaded.');
  const cards = models.map((m) => {
    const rows = m.variants.map((v) =>
      el(
        'tr',
        {},
        el('td', {}, v.name),
        el('td', {}, v.recipe.length === 0 ? 'fp32' : v.recipe.join(' + ')),
        el('td', { class: 'num' }, fmtBytes(v.bytes)),
        el('td', { class: 'num' }, nonZero(v)),
        el('td', { class: 'num' }, score(v.metrics)?.toFixed(2) ?? '–'),
        el('td', { class: 'num' }, fmtMs(v.latency?.p50_ms)),
        el('td', { class: 'num' }, fmtMs(v.latency?.p95_ms)),
        el('td', { class: 'num' }, fmtMs(v.live_p95_ms)),
        el('td', {}, v.loaded ? 'loaded' : `not loaded${v.error ? `: ${v.error}` : ''}`),
      ),
    );
    const scoreName = m.task === 'translation' ? 'BLEU' : 'accuracy %';
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
