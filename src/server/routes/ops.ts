/** GET /metrics (Prometheus), /docs (Swagger UI over /openapi.yaml, served locally) and /openapi.yaml. */
import { labelsOf } from '../context.js';
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
        // Fidelity gauges follow the registry (reloads included): set from the loaded variants at each scrape.
        context.metrics.probeAgreement.reset();
        context.metrics.degraded.reset();
        for (const m of context.registry.list())
          for (const v of m.variants.values()) {
            if (v.fidelity === undefined) continue;
            const labels = labelsOf(context, m, v);
            if (Number.isFinite(v.fidelity.agreement))
              context.metrics.probeAgreement.set(labels, v.fidelity.agreement);
            context.metrics.degraded.set(labels, v.fidelity.degraded ? 1 : 0);
          }
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
