/**
 * The Playground: one input, the chosen variants side by side (each answer with its request's latency), and
 * `variant=auto` under a latency budget showing which variant the server picked (X-TLC-Variant).
 */
import { type AnswerView, ApiError, call, type ModelRow, type TaskInfo } from './api.js';
import { el, errorBox, fmtMs } from './dom.js';
import { cosine } from './vector.js';

/** Embeddings of a query (the first line) and sentences (the rest): the sentences by cosine to the query. */
function ranking(lines: readonly string[], vectors: readonly number[][]): HTMLElement {
  const [query, ...rest] = vectors;
  const ranked = rest
    .map((v, i) => ({ text: lines[i + 1]!, score: cosine(query!, v) }))
    .sort((a, b) => b.score - a.score);
  return el(
    'ol',
    { class: 'answer ranking' },
    ...ranked.map((r) =>
      el(
        'li',
        {},
        `${r.text} `,
        el('meter', { min: '0', max: '1', value: String(Math.max(0, r.score)), 'aria-label': 'cosine' }),
        ' ',
        el('span', { class: 'meta' }, r.score.toFixed(3)),
      ),
    ),
  );
}

/** The lines of a playground input for a vector task: a query, then the sentences to rank (blank lines dropped). */
const inputLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/**
 * One answer as the task's row says to show it: ranked candidates (with scores), a text, or — for embeddings — the
 * input's sentences ranked by cosine to its first line.
 */
function render(view: AnswerView, body: unknown, lines: readonly string[]): HTMLElement {
  if (view.kind === 'text') {
    const out = body as Record<string, unknown>[];
    return el('p', { class: 'answer' }, String(out[0]?.[view.field] ?? ''));
  }
  if (view.kind === 'vector') return ranking(lines, body as number[][]);
  // One input: a list of candidates for one slot (a mask), or a list of lists for several.
  type Candidate = Record<string, unknown>;
  const out = body as Candidate[] | Candidate[][];
  const lists = Array.isArray(out[0]) ? (out as Candidate[][]) : [out as Candidate[]];
  return el(
    'ol',
    { class: 'answer' },
    ...lists.flat().map((c) => {
      const score = Number(c[view.score]);
      // A bar for probabilities (a label's or a token's); raw logits (function_to_apply none) get the number only.
      const bar =
        score >= 0 && score <= 1
          ? el('meter', { min: '0', max: '1', value: String(score), 'aria-label': 'score' })
          : null;
      return el(
        'li',
        {},
        `${String(c[view.label] ?? '').trim()} `,
        bar,
        ' ',
        el('span', { class: 'meta' }, score.toFixed(3)),
      );
    }),
  );
}

async function runOne(info: TaskInfo, model: string, query: string, text: string): Promise<HTMLElement> {
  try {
    // An embedding task ranks sentences: every line is an input, the first one the query.
    const lines = inputLines(text);
    const a = await call<unknown>('POST', `/v1/models/${encodeURIComponent(model)}/${info.route}?${query}`, {
      inputs: info.answer.kind === 'vector' ? lines : text,
      ...(info.parameters && { parameters: info.parameters }),
    });
    const picked = a.headers.get('x-tlc-variant');
    return el(
      'div',
      { class: 'result' },
      el('p', { class: 'meta' }, `${fmtMs(a.ms)} ms${picked ? ` · served by ${picked}` : ''}`),
      render(info.answer, a.body, lines),
    );
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError('ERROR', String(error), 0);
    return el('div', { class: 'result' }, errorBox(e.code, e.message));
  }
}

/** Models from the fewest parameters to the most. */
function bySize(models: readonly ModelRow[]): ModelRow[] {
  return [...models].sort((a, b) => (a.parameters?.total ?? 0) - (b.parameters?.total ?? 0));
}

/** Checkboxes for the loaded variants of `ofTask`; checked: every variant of the largest model, the smallest's fp32. */
function variantChoices(ofTask: readonly ModelRow[]): HTMLElement[] {
  const sorted = bySize(ofTask);
  const [smallest, largest] = [sorted[0], sorted.at(-1)];
  return ofTask.flatMap((m) =>
    m.variants
      .filter((v) => v.loaded)
      .map((v) => {
        const box = el('input', { type: 'checkbox', 'data-model': m.name, 'data-variant': v.name });
        box.checked = m === largest || (m === smallest && v.recipe.length === 0);
        return el('label', {}, box, ` ${m.name} / ${v.name}`);
      }),
  );
}

/** One answer cell per chosen variant, and one for variant=auto under the budget, run at once. */
async function runAll(
  info: TaskInfo,
  text: string,
  boxes: readonly HTMLInputElement[],
  auto: string,
  budgetMs: string,
) {
  const cell = async (title: string, model: string, query: string, className: string) =>
    el('div', { class: className }, el('h4', {}, title), await runOne(info, model, query, text));
  return Promise.all([
    ...boxes.map((b) =>
      cell(
        `${b.dataset.model} / ${b.dataset.variant}`,
        b.dataset.model!,
        `variant=${encodeURIComponent(b.dataset.variant!)}`,
        'cell',
      ),
    ),
    cell(`${auto} / auto ≤ ${budgetMs} ms`, auto, `variant=auto&latency_budget_ms=${budgetMs}`, 'cell auto'),
  ]);
}

export function playgroundView(models: readonly ModelRow[]): HTMLElement {
  const served = models.filter((m) => m.status === 'ready' && m.task_info !== undefined);
  const infoOf = (task: string) => served.find((m) => m.task === task)!.task_info!;
  const tasks = [...new Set(served.map((m) => m.task!))];
  if (tasks.length === 0) return el('p', {}, 'No model is ready to try.');
  const taskSelect = el(
    'select',
    { 'aria-label': 'task' },
    ...tasks.map((t) => el('option', { value: t }, t)),
  );
  const input = el('textarea', { rows: '4', 'aria-label': 'input text' });
  const choices = el('fieldset', { class: 'choices' });
  const budget = el('input', {
    type: 'range',
    min: '1',
    max: '200',
    value: '50',
    'aria-label': 'latency budget (ms)',
  });
  const budgetLabel = el('span', {}, '50 ms');
  budget.addEventListener('input', () => {
    budgetLabel.textContent = `${budget.value} ms`;
  });
  const results = el('div', { class: 'results' });
  const run = el('button', { type: 'button', class: 'primary' }, 'Run');
  const setup = () => {
    input.value = infoOf(taskSelect.value).example;
    const ofTask = served.filter((m) => m.task === taskSelect.value);
    choices.replaceChildren(el('legend', {}, 'variants'), ...variantChoices(ofTask));
  };
  taskSelect.addEventListener('change', setup);
  run.addEventListener('click', async () => {
    const task = taskSelect.value;
    const boxes = [...choices.querySelectorAll<HTMLInputElement>('input:checked')];
    // variant=auto on the largest model of the task: which of its variants fits the budget.
    const auto = bySize(served.filter((m) => m.task === task)).at(-1)!.name;
    results.replaceChildren(el('p', { class: 'meta' }, 'running…'));
    results.replaceChildren(...(await runAll(infoOf(task), input.value, boxes, auto, budget.value)));
  });
  setup();
  return el(
    'div',
    { class: 'playground' },
    el(
      'p',
      { class: 'controls' },
      taskSelect,
      ' ',
      run,
      ' · auto under a budget of ',
      budget,
      ' ',
      budgetLabel,
    ),
    input,
    choices,
    results,
  );
}
