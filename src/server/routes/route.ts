/** A route in the server's table: method, express path, who may call it, and its handler. */
import type { Request, Response } from 'express';
import type { ServerContext } from '../context.js';

export type Access = 'public' | 'inference' | 'admin';

export interface Route {
  readonly method: 'get' | 'post';
  /** `/v2/models/:model/infer`: the openapi.yaml path `/v2/models/{model}/infer` in express's spelling. */
  readonly path: string;
  readonly access: Access;
  /** Task and inference routes count in tlc_requests_total / tlc_request_duration_seconds. */
  readonly measured?: boolean;
  readonly handler: (context: ServerContext, req: Request, res: Response) => Promise<void> | void;
}

/** The key of an openapi.yaml operation: `POST /v2/models/{model}/infer`. */
export function operationKey(method: string, template: string): string {
  return `${method.toUpperCase()} ${template}`;
}

/** The key of the operation a route answers (its path's `:name` segments as `{name}`). */
export function routeKey(route: Route): string {
  return operationKey(route.method, route.path.replace(/:(\w+)/g, '{$1}'));
}
