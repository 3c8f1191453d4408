/** GET /metrics (Prometheus), /docs (Swagger UI over /openapi.yaml, served locally) and /openapi.yaml. */
import { DOCS_CSP, DOCS_INIT_JS, renderDocs } from '../docs-page.js';
import type { OpenApiValidator } from '../openapi.js';
import type { Route } from './route.js';

export function opsRoutes(openapi: OpenApiValidator, yamlText: string): readonly Route[] {
  const page = renderDocs(openapi);
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
        res.setHeader('Content-Security-Policy', DOCS_CSP);
        res.type('html').send(page);
      },
    },
    {
      method: 'get',
      path: '/docs/init.js',
      access: 'public',
      handler: (_context, _req, res) => {
        res.type('text/javascript').send(DOCS_INIT_JS);
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
