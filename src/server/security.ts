import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ForbiddenError, MovieNightError } from '../errors.ts';
import { sessionCookieName } from './auth/sessions.ts';
import { clientAddress, requestOrigin } from './client-address.ts';
import type { AppEnv } from './middleware.ts';
import type { ServerContext } from './server-context.ts';

/** A JSON (or SVG, or any non-page) answer may load nothing and be framed by no page. */
const dataPolicy = "default-src 'none'; frame-ancestors 'none'";

const fixedHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * Security headers on every answer: no sniffing, no framing, no referrer beyond this site, and a
 * Content-Security-Policy that lets a JSON or SVG answer load nothing (HTML pages set their own).
 * Set before the route answers, so they join the headers of the response the route builds:
 * setting them afterwards makes Hono rebuild the finished response around a body stream, which
 * cost more than the rest of a rating post. A response built by hand (static files) does not
 * carry the prepared headers and gets the missing ones after.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  for (const [name, value] of Object.entries(fixedHeaders)) c.header(name, value);
  c.header('content-security-policy', dataPolicy);
  await next();
  for (const [name, value] of Object.entries(fixedHeaders)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
  if (!c.res.headers.has('content-security-policy')) c.res.headers.set('content-security-policy', dataPolicy);
};

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request's own claim of where it was sent from, or why it is refused. */
function crossSiteReason(c: Context, trustProxy: boolean): string | undefined {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${JSON.stringify(site)}`;
  const origin = c.req.header('origin');
  if (origin === undefined) {
    return site === undefined ? 'neither Origin nor Sec-Fetch-Site says it is same-origin' : undefined;
  }
  const own = requestOrigin(c, trustProxy);
  return origin.toLowerCase() === own ? undefined : `Origin ${JSON.stringify(origin)} is not ${own}`;
}

/**
 * Cross-site request forgery guard: a state-changing request that a session cookie would
 * authenticate must say it comes from this site (`Sec-Fetch-Site: same-origin`, or an `Origin`
 * equal to this server's) and carry a JSON content type, which a cross-site HTML form cannot send.
 * Requests with an `Authorization` header are exempt: a browser never adds one by itself.
 */
export function csrfGuard(server: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (safeMethods.has(c.req.method) || c.req.header('authorization') !== undefined) return next();
    if (getCookie(c, sessionCookieName) === undefined) return next();
    const reason = crossSiteReason(c, server.config.trustProxy);
    if (reason) throw new ForbiddenError(`cross-site request refused: ${reason}`);
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(type)) {
      throw new MovieNightError(
        `a request with a session cookie must have content-type application/json, got ${JSON.stringify(type)}`,
        'unsupported_media_type',
        415,
      );
    }
    return next();
  };
}

/**
 * Per-client request limits on the API: an account by its id, anyone else by address. The admin
 * is not limited (one trusted operator, whose tools may be busy). Counts are shared by every
 * server process (see RateLimiter).
 */
export function rateLimit(server: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal.kind === 'admin') return next();
    const now = server.now();
    const windowMs = 60_000;
    if (principal.kind === 'user') {
      const rule = { limit: server.config.rateLimitAccountPerMinute, windowMs };
      await server.limiter.take(`account:${principal.accountId}`, rule, now, 'from this account');
    } else {
      const address = clientAddress(c, server.config.trustProxy);
      const rule = { limit: server.config.rateLimitAnonymousPerMinute, windowMs };
      await server.limiter.take(`address:${address}`, rule, now, 'from this address');
    }
    return next();
  };
}
