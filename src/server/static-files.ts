import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from './middleware.ts';

/** web/dist of this checkout (src/server → ../../web/dist; dist/src/server → ../../../web/dist). */
export function defaultWebDist(): string {
  const here = import.meta.dirname;
  const candidates = [
    resolve(here, '..', '..', 'web', 'dist'),
    resolve(here, '..', '..', '..', 'web', 'dist'),
  ];
  return candidates.find((c) => existsSync(join(c, '..', 'src'))) ?? candidates[0]!;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/**
 * Serves the built browser app: files under `dir`, and index.html for any other non-API path so
 * that the app's own routes (/movies, /admin…) survive a reload. Files are read per request (the
 * bundle is small, and a rebuild is picked up without a restart).
 */
export function serveWebApp(app: Hono<AppEnv>, dir = defaultWebDist()): void {
  const root = resolve(dir);
  app.get('*', (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/')) return next();
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return next(); // malformed %-escape: not a file of ours
    }
    const file = normalize(join(root, decoded));
    if (file !== root && !file.startsWith(root + sep)) return next();
    const target = existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
    if (!existsSync(target)) return next();
    c.set('route', target === join(root, 'index.html') ? '/(app)' : '/(static)');
    const headers: Record<string, string> = {
      'content-type': types[extname(target)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (target.endsWith('.html')) {
      headers['content-security-policy'] =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
    }
    return c.body(readFileSync(target), 200, headers);
  });
}
