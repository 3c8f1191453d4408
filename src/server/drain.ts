/**
 * Shutdown seen from the request side: once the server drains, new requests (and requests whose body
 * completes after the drain began) are answered 503 SHUTTING_DOWN with Connection: close, and every response
 * closes its connection; a request counts as in flight from the moment its body is read, so a client that
 * sends slowly does not hold up a shutdown, and one still sending when the in-flight requests are done is
 * answered 503 then (refuseUnread) rather than cut off when the server closes. server.ts waits for the in-flight count,
 * then closes.
 */
import type { NextFunction, Request, Response } from 'express';
import { TlcError } from '../errors/index.js';
import type { ServerContext } from './context.js';

const shuttingDown = () =>
  new TlcError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica');

/** Answers 503 + Connection: close to every request whose body is still on its way (the drain began). */
export function refuseUnread(context: ServerContext): void {
  for (const refuse of [...context.unread]) refuse();
  context.unread.clear();
}

export function drainMiddleware(context: ServerContext) {
  const refuseWhileDraining = (req: Request, res: Response, next: NextFunction): boolean => {
    if (!context.draining || req.path === '/v2/health/live' || req.path === '/metrics') return false;
    res.setHeader('Connection', 'close');
    next(shuttingDown());
    return true;
  };
  const beforeBody = (req: Request, res: Response, next: NextFunction): void => {
    context.lastRequestAt = performance.now();
    if (!context.draining) context.lastServedAt = context.lastRequestAt;
    // A response sent while draining closes its connection, so that the client does not reuse it for a
    // request that would meet a closing socket.
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (context.draining && !res.headersSent) res.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    if (refuseWhileDraining(req, res, next)) return;
    // Until its body is read, the drain answers this request itself (the body parser may wait on a slow
    // client for as long as the client likes).
    const refuse = () => {
      if (res.headersSent) return;
      const e = shuttingDown();
      res.setHeader('Connection', 'close');
      res.status(e.status).json(e.toJSON());
    };
    context.unread.add(refuse);
    res.locals.refuseUnread = refuse;
    res.on('close', () => context.unread.delete(refuse));
    next();
  };
  // In flight from the moment the body is read (a client that sends slowly does not hold up a shutdown), and
  // a request whose body completes after the drain began is answered 503 like a new one.
  const afterBody = (req: Request, res: Response, next: NextFunction): void => {
    context.unread.delete(res.locals.refuseUnread as () => void);
    if (res.headersSent) return; // refused by the drain while the body was on its way
    if (refuseWhileDraining(req, res, next)) return;
    context.inFlight += 1;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        context.inFlight -= 1;
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
  return { beforeBody, afterBody };
}
