/**
 * createApp: the express application over a ServerContext. Order: draining guard → in-flight count → JSON
 * body (size-limited) → the openapi.yaml contract → access check → the route table → 404 → the error
 * catalog. Routes are a table (routes/*.ts); adding one means adding a row and its operation in openapi.yaml.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isTlcError, messageOf, TlcError } from '../errors/index.js';
import type { LoadedVariant } from '../runtime/registry.js';
import { BodyRejected, bodyBounds, checkJsonBody } from './body-scan.js';
import { consoleAssets } from './console-page.js';
import { publicText, type ServerContext } from './context.js';
import { docsAssets } from './docs-page.js';
import { drainMiddleware } from './drain.js';
import type { Labels } from './metrics.js';
import type { OpenApiValidator } from './openapi.js';
import { consoleRoutes } from './routes/console.js';
import { modelRoutes } from './routes/models.js';
import { opsRoutes } from './routes/ops.js';
import type { Access, Route } from './routes/route.js';
import { taskRoutes } from './routes/tasks.js';
import { v2Routes } from './routes/v2.js';

export function routeTable(openapi: OpenApiValidator, yamlText: string): readonly Route[] {
  return [...consoleRoutes, ...modelRoutes, ...taskRoutes, ...v2Routes, ...opsRoutes(openapi, yamlText)];
}

/** Compares digests, so that neither the key's content nor its length shows in the time taken. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function checkAccess(context: ServerContext, access: Access, req: Request): void {
  if (access === 'public') return;
  if (access === 'inference' && context.apiKey === undefined) return;
  if (context.apiKey === undefined)
    throw new TlcError(
      'UNAUTHORIZED',
      'admin routes are disabled: start the server with --api-key (or TLC_API_KEY)',
    );
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (m === null || !sameSecret(m[1]!.trim(), context.apiKey))
    throw new TlcError('UNAUTHORIZED', 'send Authorization: Bearer <api key>');
}

/** Maps anything thrown to the error catalog. */
/** The most positions any loaded model takes (512 while none is loaded): bounds a raw-tensor body's size. */
function maxPositions(context: ServerContext): number {
  const lengths = context.registry.list().map((m) => m.served?.maxLength ?? 0);
  const longest = Math.max(0, ...lengths);
  return longest > 0 ? longest : 512;
}

function toTlcError(error: unknown): TlcError {
  if (isTlcError(error)) return error;
  if (error instanceof BodyRejected) return error.tlc;
  const e = error as { type?: string; status?: number };
  if (e.type === 'entity.too.large')
    return new TlcError(
      'INPUT_TOO_LARGE',
      `the request body is larger than the server's limit (${messageOf(error)})`,
    );
  if (e.type === 'entity.parse.failed')
    return new TlcError('REQUEST_INVALID', `the body is not valid JSON: ${messageOf(error)}`);
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new TlcError('REQUEST_INVALID', messageOf(error));
  return new TlcError('INTERNAL', messageOf(error), { cause: error });
}

export function createApp(
  context: ServerContext,
  openapi: OpenApiValidator,
  yamlText: string,
  log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const drain = drainMiddleware(context);
  app.use(drain.beforeBody);
  // Swagger UI's own files (docs-page.ts): static, public, outside the API contract.
  app.use('/docs/assets', docsAssets());
  app.use('/console', consoleAssets());
  // The key is checked before the body is read or validated: without it, a client learns nothing about the API.
  const routes = routeTable(openapi, yamlText);
  const accessByTemplate = new Map(routes.map((r) => [r.path.replace(/:(\w+)/g, '{$1}'), r.access]));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const found = openapi.match(req.method, req.path);
    const access = found && accessByTemplate.get(found.operation.template);
    try {
      if (access !== undefined) checkAccess(context, access, req);
      next();
    } catch (error) {
      next(error);
    }
  });
  app.use(
    express.json({
      limit: context.limits.maxBodyBytes,
      verify: (_req, _res, bytes) =>
        checkJsonBody(bytes, bodyBounds(context.limits.maxInputs, maxPositions(context))),
    }),
  );
  app.use(drain.afterBody);
  app.use((req: Request, _res: Response, next: NextFunction) => {
    openapi.validate({
      method: req.method,
      path: req.path,
      query: req.query as Record<string, unknown>,
      body: req.body,
      hasBody: req.body !== undefined,
    });
    next();
  });
  for (const route of routes) {
    app[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
      const t0 = performance.now();
      if (route.measured) {
        res.on('finish', () => {
          const labels = res.locals.labels as Labels | undefined;
          if (labels === undefined) return;
          const seconds = (performance.now() - t0) / 1000;
          context.metrics.requests.inc({ ...labels, status: String(res.statusCode) });
          context.metrics.requestDuration.observe(labels, seconds);
          if (res.statusCode === 200)
            (res.locals.variant as LoadedVariant | undefined)?.recent.add(seconds * 1000);
        });
      }
      try {
        checkAccess(context, route.access, req);
        await route.handler(context, req, res);
      } catch (error) {
        next(error);
      }
    });
  }
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new TlcError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}; see GET /docs`));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = toTlcError(error);
    if (e.code === 'INTERNAL') log(`internal error: ${e.stack ?? e.message}`);
    if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
    if (res.headersSent) return;
    const body = e.toJSON();
    res.status(e.status).json({ error: { ...body.error, message: publicText(context, body.error.message) } });
  });
  return app;
}
