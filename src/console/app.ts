/**
 * The TLC console: which compressed variant of which model to deploy, as a picture. Four views over the server's
 * own JSON (/v1/models, /v1/stats, the task endpoints): Models, Frontier, Playground, Live. Everything it loads
 * comes from this server.
 */
import { ApiError, apiKey, call, type ModelRow, setApiKey } from './api.js';
import { el, errorBox } from './dom.js';
import { frontierView } from './frontier-view.js';
import { liveView } from './live.js';
import { modelsView } from './models-view.js';
import { playgroundView } from './playground.js';

const VIEWS = ['models', 'frontier', 'playground', 'live'] as const;
type View = (typeof VIEWS)[number];

async function start(root: HTMLElement): Promise<void> {
  const main = el('main');
  const nav = el('nav');
  const key = el('input', {
    type: 'password',
    placeholder: 'API key (if the server has one)',
    'aria-label': 'API key',
  });
  key.value = apiKey();
  key.addEventListener('change', () => setApiKey(key.value));
  let stopLive = () => {};
  let models: ModelRow[] = [];
  const show = (view: View) => {
    stopLive();
    for (const b of nav.querySelectorAll('button')) b.classList.toggle('on', b.dataset.view === view);
    if (view === 'models') main.replaceChildren(modelsView(models));
    if (view === 'frontier') main.replaceChildren(frontierView(models));
    if (view === 'playground') main.replaceChildren(playgroundView(models));
    if (view === 'live') {
      const live = liveView();
      stopLive = live.stop;
      main.replaceChildren(live.element);
    }
    history.replaceState(null, '', `#${view}`);
  };
  for (const view of VIEWS) {
    const b = el('button', { type: 'button', 'data-view': view }, view[0]!.toUpperCase() + view.slice(1));
    b.addEventListener('click', () => show(view));
    nav.append(b);
  }
  root.replaceChildren(
    el(
      'header',
      {},
      el('h1', {}, 'TLC console'),
      nav,
      el('span', { class: 'links' }, key, ' ', el('a', { href: '/docs' }, 'API docs')),
    ),
    main,
  );
  try {
    models = (await call<{ models: ModelRow[] }>('GET', '/v1/models')).body.models;
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError('ERROR', String(error), 0);
    main.replaceChildren(errorBox(e.code, e.message));
    return;
  }
  const asked = location.hash.slice(1);
  show((VIEWS as readonly string[]).includes(asked) ? (asked as View) : 'models');
}

void start(document.getElementById('app')!);
