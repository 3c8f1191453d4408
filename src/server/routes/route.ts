/** A route in the server's table: method, express path, who may call it, and its handler. */
import type { Request, Response } from 'express';
import type { ServerContext } from '../context.js';

export type Access = 'public' | 'inference' | 'admin';

export interface Route {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly access: Access;
  /** Task and inference routes count in tlc_requests_total / tlc_request_duration_seconds. */
  readonly measured?: boolean;
  readonly handler: (context: ServerContext, req: Request, res: Response) => Promise<void> | void;
}
