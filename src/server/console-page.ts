/**
 * The web console at `/`: a static single-page app (src/console/, bundled by esbuild at build time into
 * dist/console/) that reads the server's JSON endpoints. This file serves its shell and its two files; nothing is
 * fetched from outside the server. When the bundle was not built, `/` says how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { staticFiles } from './static-files.js';

/** dist/console/ of the package, from src/server/ (tsx) or dist/server/ (built) alike. */
const BUNDLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

export function consoleBuilt(): boolean {
  return existsSync(`${BUNDLE_DIR}app.js`);
}

export function renderConsole(): string {
  if (!consoleBuilt())
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TLC console</title></head>
<body><h1>TLC console</h1><p>The console's bundle is missing: run <code>npm run build</code> in the package, then reload.
The API works without it: <a href="/docs">/docs</a>.</p></body></html>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>TLC console</title><link rel="stylesheet" href="/console/app.css"></head>
<body><noscript>The console needs JavaScript; the API is documented at <a href="/docs">/docs</a>.</noscript>
<div id="app"></div><script type="module" src="/console/app.js"></script></body></html>`;
}

/** Serves app.js and app.css from dist/console/ (revalidated on every load, so a rebuild shows at once). */
export function consoleAssets(): ReturnType<typeof staticFiles> {
  return staticFiles(BUNDLE_DIR, ASSETS, 'no-cache');
}
