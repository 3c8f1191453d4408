/**
 * The interactive API docs at /docs: Swagger UI (swagger-ui-dist, served from the package itself, never a CDN,
 * since the server may have no internet) reading /openapi.yaml, with "Try it out" against this server and the
 * Authorize button for the bearer key. The page carries a plain table of the operations too, for a browser
 * without scripts. No inline script: the initializer is /docs/init.js, and the page's Content-Security-Policy
 * allows scripts, styles, images and requests from this server only.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { OpenApiValidator } from './openapi.js';
import { staticFiles } from './static-files.js';

/** The files of swagger-ui-dist the page loads, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

/** Swagger UI's start-up: the local YAML, no call to the public validator badge, the key kept across reloads. */
export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  validatorUrl: null,
});
`;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderDocs(openapi: OpenApiValidator): string {
  const rows = openapi.operations
    .map(
      (o) =>
        `<tr><td><code>${o.method}</code></td><td><code>${escapeHtml(o.template)}</code></td><td>${escapeHtml(o.id)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>TLC inference server — API</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<noscript><h1>TLC inference server</h1><p>Raw contract: <a href="/openapi.yaml">/openapi.yaml</a></p>
<table>${rows}</table></noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;
}

/** Serves the whitelisted swagger-ui-dist files under /docs/assets/ (the browser keeps them a day). */
export function docsAssets(): ReturnType<typeof staticFiles> {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return staticFiles(root, ASSETS, 'public, max-age=86400');
}
