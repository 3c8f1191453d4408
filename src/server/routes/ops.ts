/** GET /metrics (Prometheus), /docs (openapi.yaml rendered, no external assets) and /openapi.yaml. */
import type { OpenApiValidator } from '../openapi.js';
import type { Route } from './route.js';

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A self-contained HTML page listing every operation and the schemas (the server may have no internet). */
export function renderDocs(openapi: OpenApiValidator, yamlText: string): string {
  const rows = openapi.operations
    .map(
      (o) =>
        `<tr><td><code>${o.method}</code></td><td><code>${escapeHtml(o.template)}</code></td><td>${escapeHtml(o.id)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TLC inference server — API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td{padding:.2rem .8rem;border-bottom:1px solid #ddd}
pre{background:#f6f8fa;padding:1rem;overflow:auto;font-size:13px}</style></head>
<body><h1>TLC inference server</h1>
<p>The contract every request is validated against. Raw document: <a href="/openapi.yaml">/openapi.yaml</a>.</p>
<h2>Operations</h2><table>${rows}</table>
<h2>openapi.yaml</h2><pre>${escapeHtml(yamlText)}</pre></body></html>`;
}

export function opsRoutes(openapi: OpenApiValidator, yamlText: string): readonly Route[] {
  const page = renderDocs(openapi, yamlText);
  return [
    {
      method: 'get',
      path: '/metrics',
      access: 'public',
      handler: async (context, _req, res) => {
        res.setHeader('Content-Type', context.metrics.registry.contentType);
        res.send(await context.metrics.registry.metrics());
      },
    },
    {
      method: 'get',
      path: '/docs',
      access: 'public',
      handler: (_context, _req, res) => {
        res.type('html').send(page);
      },
    },
    {
      method: 'get',
      path: '/openapi.yaml',
      access: 'public',
      handler: (_context, _req, res) => {
        res.type('application/yaml').send(yamlText);
      },
    },
  ];
}
