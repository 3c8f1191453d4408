/**
 * createApp: the express application over a ServerContext. Order: HTTP version → draining guard → static
 * assets → the operation and its access check → JSON body (size-limited) → in-flight count → the
 * openapi.yaml contract → the operation's route → 404 → the error catalog. Routes are a table (routes/*.ts);
 * adding one means adding a row and its operation in openapi.yaml.
 *
 * One table routes and validates. openapi.yaml's match (exact: case and trailing slash count) picks both the
 * operation a request is checked against and the route that answers it; express's router does not pick API
 * routes. With two matchers they disagreed: express matches non-strict and case-insensitively, so
 * `/v1/models/m/fill-mask/` or `/v1/models/m/Fill-mask` reached the handler with no operation checked
 * (top_k "abc" → 500, num_beams 64 → 200). Strict routing rather than canonical paths: a redirect of a POST
 * costs a round trip and clients follow 307/308 unevenly, and a rewrite would accept spellings the contract
 * (and /docs) does not show; any other spelling is 404 ROUTE_NOT_FOUND with the error shape.
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
import type { OpenApiValidator, OperationMatch } from './openapi.js';
import { consoleRoutes } from './routes/console.js';
import { modelRoutes } from './routes/models.js';
import { openaiRoutes } from './routes/openai.js';
import { opsRoutes } from './routes/ops.js';
import { type Access, operationKey, type Route, routeKey } from './routes/route.js';
import { taskRoutes } from './routes/tasks.js';
import { v2Routes } from './routes/v2.js';

export function routeTable(openapi: OpenApiValidator, yamlText: string): readonly Route[] {
  return [
    ...consoleRoutes,
    ...modelRoutes,
    ...taskRoutes,
    ...openaiRoutes,
    ...v2Routes,
    ...opsRoutes(openapi, yamlText),
  ];
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

/** The most positions any loaded model takes (512 while none is loaded): bounds a raw-tensor body's size. */
function maxPositions(context: ServerContext): number {
  const lengths = context.registry.list().map((m) => m.served?.maxLength ?? 0);
  const longest = Math.max(0, ...lengths);
  return longest > 0 ? longest : 512;
}

/** Maps anything thrown to the error catalog. */
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

/** A request's operation in openapi.yaml and the route that answers it. */
interface Dispatch {
  readonly found: OperationMatch;
  readonly route: Route;
}

/** Each route under its operation's key; a route that openapi.yaml does not document stops the start. */
function routesByOperation(openapi: OpenApiValidator, routes: readonly Route[]): ReadonlyMap<string, Route> {
  const documented = new Set(openapi.operations.map((o) => operationKey(o.method, o.template)));
  const table = new Map<string, Route>();
  for (const route of routes) {
    const key = routeKey(route);
    if (!documented.has(key)) throw new Error(`route ${key} has no operation in openapi.yaml; add it there`);
    if (table.has(key)) throw new Error(`route ${key} is in the route table twice`);
    table.set(key, route);
  }
  return table;
}

/** The operation and route of a request; HEAD is answered by the GET route (Node leaves the body out). */
function dispatchOf(
  openapi: OpenApiValidator,
  table: ReadonlyMap<string, Route>,
  req: Request,
): Dispatch | undefined {
  const found = openapi.match(req.method === 'HEAD' ? 'GET' : req.method, req.path);
  const route = found && table.get(operationKey(found.operation.method, found.operation.template));
  return found && route ? { found, route } : undefined;
}

/**
 * HTTP/1.x only: Node's parser hands on `HTTP/2.0` request lines and HTTP/0.9 ones (no version), which
 * express would answer as HTTP/1.1. Refused as REQUEST_INVALID (400), the catalog's code for a request that
 * is not this server's HTTP; RFC 9110's 505 has no code in the catalog.
 */
function httpVersionGuard(req: Request, res: Response, next: NextFunction): void {
  if (req.httpVersionMajor === 1) {
    next();
    return;
  }
  res.setHeader('Connection', 'close');
  const line = req.httpVersionMajor === 0 ? 'HTTP/0.9' : `HTTP/${req.httpVersion}`;
  next(new TlcError('REQUEST_INVALID', `${line} is not supported; send HTTP/1.1 (or HTTP/1.0)`));
}

/** Counts a measured route's answer in the request metrics and the variant's recent latencies. */
function measure(context: ServerContext, res: Response): void {
  const t0 = performance.now();
  res.on('finish', () => {
    const labels = res.locals.labels as Labels | undefined;
    if (labels === undefined) return;
    const seconds = (performance.now() - t0) / 1000;
    context.metrics.requests.inc({ ...labels, status: String(res.statusCode) });
    context.metrics.requestDuration.observe(labels, seconds);
    if (res.statusCode === 200) (res.locals.variant as LoadedVariant | undefined)?.recent.add(seconds * 1000);
  });
}

function errorHandler(context: ServerContext, log: (message: string) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = toTlcError(error);
    if (e.code === 'INTERNAL') log(`internal error: ${e.stack ?? e.message}`);
    if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
    if (res.headersSent) return;
    const body = e.toJSON();
    res.status(e.status).json({ error: { ...body.error, message: publicText(context, body.error.message) } });
  };
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
  // The static mounts below follow the API's spelling rule too (the API routes go through `table`).
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  const table = routesByOperation(openapi, routeTable(openapi, yamlText));
  const drain = drainMiddleware(context);
  app.use(httpVersionGuard);
  app.use(drain.beforeBody);
  // Swagger UI's own files (docs-page.ts): static, public, outside the API contract.
  app.use('/docs/assets', docsAssets());
  app.use('/console', consoleAssets());
  // The key is checked before the body is read or validated (a malformed %-escape in the path included):
  // without it, a client learns nothing about the API.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const dispatch = dispatchOf(openapi, table, req);
    res.locals.dispatch = dispatch;
    if (dispatch !== undefined) checkAccess(context, dispatch.route.access, req);
    next();
  });
  app.use(
    express.json({
      limit: context.limits.maxBodyBytes,
      verify: (_req, _res, bytes) =>
        checkJsonBody(bytes, bodyBounds(context.limits.maxInputs, maxPositions(context))),
    }),
  );
  app.use(drain.afterBody);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const dispatch = res.locals.dispatch as Dispatch | undefined;
    if (dispatch === undefined) return next();
    const query = req.query as Record<string, unknown>;
    openapi.check(dispatch.found, { query, body: req.body, hasBody: req.body !== undefined });
    req.params = dispatch.found.params;
    if (dispatch.route.measured) measure(context, res);
    Promise.resolve()
      .then(() => dispatch.route.handler(context, req, res))
      .catch(next);
  });
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new TlcError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}; see GET /docs`));
  });
  app.use(errorHandler(context, log));
  return app;
}
