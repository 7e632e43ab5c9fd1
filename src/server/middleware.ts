import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { z } from 'zod';
import { MovieNightError, UnauthorizedError } from '../errors.ts';
import { isAdminToken } from './auth/admin-token.ts';
import { findSession, type Principal, sessionCookieName } from './auth/sessions.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ServerContext } from './server-context.ts';

/** What the middlewares leave on each request for the routes and for each other. */
export type AppEnv = { Variables: { principal: Principal; route: string } };

/**
 * Times each request and, once it is answered, records it: the Prometheus counters and one log
 * line with method, route pattern (not the path, so ids do not make every line distinct), status
 * and duration. Outermost, so it sees the final status whatever the layers inside did.
 */
export function requestLog(metrics: ServerMetrics, logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    c.set('route', 'unmatched');
    await next();
    const ms = performance.now() - start;
    const route = c.get('route');
    metrics.observeRequest(c.req.method, route, c.res.status, ms / 1000);
    if (logger.isLevelEnabled('info')) {
      logger.info(
        { method: c.req.method, route, status: c.res.status, durationMs: Math.round(ms * 1000) / 1000 },
        'request',
      );
    }
  };
}

/** Bodies are small JSON objects; a huge one is refused before it is read into memory. */
const maxBodyBytes = 64 * 1024;
const tooLarge = (c: Context) =>
  c.json({ error: { code: 'payload_too_large', message: 'body: larger than 64 KiB' } }, 413);
const streamedBodyLimit = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });

/**
 * Refuses a body over 64 KiB. The usual case, a Content-Length, is checked from the header alone:
 * Hono's bodyLimit would first turn the request into a full web Request with a body stream (a
 * third of a rating post's cost). Bodies of unknown size (chunked) are counted as they are read,
 * by bodyLimit.
 */
export const limitBodySize: MiddlewareHandler<AppEnv> = (c, next) => {
  const length = c.req.header('content-length');
  if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
    return c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : streamedBodyLimit(c, next);
  }
  return Number(length) <= maxBodyBytes ? next() : Promise.resolve(tooLarge(c));
};

/** Turns whatever the layers inside throw into the JSON error response. */
export const errorBoundary: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await next();
  } catch (error) {
    c.res = errorResponse(c, error);
  }
};

/** Sets the principal (anonymous until the token or cookie says otherwise) for the routes. */
export function authenticate(server: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', { kind: 'anonymous' });
    c.set('principal', await resolvePrincipal(c, server));
    await next();
  };
}

/** Reads who is calling: the admin token or a session token as a bearer, else the session cookie. */
async function resolvePrincipal(c: Context, server: ServerContext): Promise<Principal> {
  const header = c.req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new UnauthorizedError('Authorization header must be "Bearer <token>"');
    if (isAdminToken(match[1], server.adminToken)) return { kind: 'admin', via: 'token' };
    const principal = await findSession(server.db, match[1], server.now());
    if (principal.kind === 'anonymous')
      throw new UnauthorizedError('bearer token is not valid or has expired');
    return principal;
  }
  const cookie = getCookie(c, sessionCookieName);
  return cookie ? findSession(server.db, cookie, server.now()) : { kind: 'anonymous' };
}

/**
 * The response for an error: a MovieNightError with its own status, code and message (they are
 * written to be shown); a zod error from a schema deeper down as invalid input; anything else as a
 * logged 500 that says only "internal error".
 */
export function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof MovieNightError) {
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
    const status = error.status >= 400 && error.status <= 599 ? error.status : 500;
    if (status >= 500) console.error(error);
    return c.json({ error: { code: error.code, message: error.message } }, status as 400);
  }
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    return c.json(
      { error: { code: 'invalid_input', message: `${issue?.path.join('.') || 'input'}: ${issue?.message}` } },
      400,
    );
  }
  console.error(error);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
