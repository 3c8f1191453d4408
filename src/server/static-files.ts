/**
 * A few named files served from one folder (the console's bundle, Swagger UI's library): only the names listed,
 * GET and HEAD only, each read once on first request and kept; a listed file that is absent falls through to the
 * next handler (404 with the error shape).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';

export function staticFiles(
  dir: string,
  /** File name → Content-Type. */
  files: Readonly<Record<string, string>>,
  cacheControl: string,
): (req: Request, res: Response, next: () => void) => void {
  const cache = new Map<string, Buffer>();
  return (req, res, next) => {
    const name = req.path.replace(/^\//, '');
    const type = Object.hasOwn(files, name) ? files[name] : undefined;
    if (type === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    let bytes = cache.get(name);
    if (bytes === undefined) {
      const path = join(dir, name);
      if (!existsSync(path)) return next();
      bytes = readFileSync(path);
      cache.set(name, bytes);
    }
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', cacheControl);
    res.send(bytes);
  };
}
