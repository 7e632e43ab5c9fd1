import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
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
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};
const compressible = new Set(['.html', '.js', '.css', '.svg', '.json']);
/** web/build.ts names bundles `<name>-<8 character esbuild hash>.<ext>`. */
const hashedName = /-[A-Z0-9]{8}\.(?:js|css)$/;

interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly raw: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/**
 * Files of web/dist with their compressed forms, made once per file version (the bundle is tens of
 * kB, so compressing at the highest levels once costs a few ms and then nothing).
 */
class FileCache {
  private readonly files = new Map<string, CachedFile>();

  read(path: string): CachedFile {
    const stat = statSync(path);
    const known = this.files.get(path);
    if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known;
    const file: CachedFile = { mtimeMs: stat.mtimeMs, size: stat.size, raw: readFileSync(path) };
    this.files.set(path, file);
    return file;
  }

  /** The body to send for `accept` (an Accept-Encoding header) and its Content-Encoding, if any. */
  encode(path: string, file: CachedFile, accept: string): { body: Buffer; encoding?: 'br' | 'gzip' } {
    if (!compressible.has(extname(path)) || file.raw.length < 1024) return { body: file.raw };
    if (/\bbr\b/.test(accept)) {
      file.br ??= brotliCompressSync(file.raw, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: file.raw.length },
      });
      return { body: file.br, encoding: 'br' };
    }
    if (/\bgzip\b/.test(accept)) {
      file.gzip ??= gzipSync(file.raw, { level: 9 });
      return { body: file.gzip, encoding: 'gzip' };
    }
    return { body: file.raw };
  }
}

/**
 * Serves the built browser app: files under `dir`, and index.html for any other non-API path so
 * that the app's own routes survive a reload. Bundles have content-hashed names and are cached by
 * browsers for a year (`immutable`); index.html is revalidated every time (`no-cache`), so a new
 * build is seen at the next load. Text is sent compressed (brotli or gzip) when the browser takes
 * it. Source maps are never served.
 */
export function serveWebApp(app: Hono<AppEnv>, dir = defaultWebDist()): void {
  const root = resolve(dir);
  const cache = new FileCache();
  app.get('*', (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path.endsWith('.map')) return next();
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
    const isPage = target === join(root, 'index.html');
    c.set('route', isPage ? '/(app)' : '/(static)');
    const { body, encoding } = cache.encode(
      target,
      cache.read(target),
      c.req.header('accept-encoding') ?? '',
    );
    const headers: Record<string, string> = {
      'content-type': types[extname(target)] ?? 'application/octet-stream',
      'cache-control': hashedName.test(target) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (encoding) headers['content-encoding'] = encoding;
    if (isPage) {
      headers['content-security-policy'] =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
    }
    return c.body(new Uint8Array(body), 200, headers);
  });
}
