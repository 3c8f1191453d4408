/** The Frontier view: per task, the scatter of every scored variant with its Pareto frontier; x switchable. */
import { headlineLabel, headlineOf, type ModelRow } from './api.js';
import { el, svgBlock } from './dom.js';
import { frontierSvg, type Point } from './frontier.js';
import { score } from './models-view.js';

type Axis = 'latency' | 'size';

/**
 * The points of one task: variants with a score and (for latency) a measured p50; the smallest model is the
 * baseline. Degraded variants are marked (frontier.ts keeps them off the frontier); size variants are marked on
 * the latency axis only, where they are slower than fp32 by definition.
 */
export function taskPoints(models: readonly ModelRow[], task: string, axis: Axis): Point[] {
  const ofTask = models.filter((m) => m.task === task);
  const smallest = [...ofTask].sort((a, b) => (a.parameters?.total ?? 0) - (b.parameters?.total ?? 0))[0];
  return ofTask.flatMap((m) =>
    m.variants.flatMap((v) => {
      const y = score(v.metrics, headlineOf(m));
      const x = axis === 'latency' ? v.latency?.p50_ms : v.bytes / 2 ** 20;
      if (y === undefined || x === undefined) return [];
      const recipe = v.recipe.length === 0 ? 'fp32' : v.recipe.join(' + ');
      const baseline = ofTask.length > 1 && m === smallest && v.recipe.length === 0;
      const flags = {
        ...(v.status === 'degraded' && { degraded: true }),
        ...(axis === 'latency' && v.kind === 'size' && { size: true }),
      };
      return [{ model: m.name, variant: v.name, recipe, x, y, baseline, ...flags }];
    }),
  );
}

export function frontierView(models: readonly ModelRow[]): HTMLElement {
  const tasks = [...new Set(models.map((m) => m.task).filter((t): t is string => t !== undefined))];
  const root = el('div', { class: 'frontiers' });
  let axis: Axis = 'latency';
  const draw = () => {
    root.replaceChildren(
      el(
        'p',
        { class: 'controls' },
        'x axis: ',
        ...(['latency', 'size'] as const).map((a) => {
          const b = el('button', { type: 'button', class: a === axis ? 'on' : '' }, a);
          b.addEventListener('click', () => {
            axis = a;
            draw();
          });
          return b;
        }),
        ' · squares mark the smallest model unpruned (the small baseline); hollow grey points are degraded on this server and left off the frontier; hover a point for its recipe',
      ),
      ...tasks.map((task) => {
        const points = taskPoints(models, task, axis);
        const labels = {
          x: axis === 'latency' ? 'p50 latency, ms (measured at compression)' : 'size on disk, MB',
          y: headlineLabel(headlineOf(models.find((m) => m.task === task)!)),
        };
        return el(
          'section',
          { class: 'card', 'data-task': task },
          el('h3', {}, task),
          svgBlock(frontierSvg(points, labels), 'plot'),
        );
      }),
    );
  };
  draw();
  return root;
}
