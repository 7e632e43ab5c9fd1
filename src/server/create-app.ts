import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { SqlCatalogStore } from '../data/catalog-store.ts';
import type { Database } from '../db/database.ts';
import {
  ForbiddenError,
  InvalidInputError,
  MovieNightError,
  NotFoundError,
  UnauthorizedError,
} from '../errors.ts';
import { isAdminToken } from './auth/admin-token.ts';
import { findSession, type Principal, sessionCookieName } from './auth/sessions.ts';
import { TooManyAttemptsError } from './auth/sign-in-throttle.ts';
import { BackgroundJobs } from './background-jobs.ts';
import { ServerExplanations } from './explanations.ts';
import { ServerMetrics } from './metrics.ts';
import { MovieStatsCache } from './movie-stats-cache.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { AnyRoute } from './route-spec.ts';
import { allRoutes } from './routes/index.ts';
import type { ServerContext } from './server-context.ts';
import { serveWebApp } from './static-files.ts';
import { TuningJobs } from './tuning-jobs.ts';
import { parseInput } from './validation.ts';

export interface CreateAppOptions {
  readonly db: Database;
  readonly config: Config;
  readonly adminToken: string;
  /** Folder of the built browser app; default web/dist of this checkout. Null: API only. */
  readonly webDist?: string | null;
  readonly now?: () => number;
  /**
   * What worker threads open (the real URL: db.location hides a PostgreSQL password). Default:
   * the SQLite file; none for PostgreSQL or an in-memory database (work then runs in this thread).
   */
  readonly workerLocation?: string;
  /**
   * How stale the cached champion and running A/B test may be when serving, ms (default D's
   * 2000). Tests use 0 to see a change at once.
   */
  readonly servingStalenessMs?: number;
  /** Extra routes (tests); the standard ones are always there. */
  readonly routes?: readonly AnyRoute[];
}

export interface MovieNightApp {
  readonly app: Hono<AppEnv>;
  readonly context: ServerContext;
  /** Waits for background work (retrains, tuning runs) started by the app, and refuses new work. */
  close(): Promise<void>;
}

export type AppEnv = { Variables: { principal: Principal; route: string } };

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

function checkAccess(route: AnyRoute, principal: Principal): void {
  if (route.access === 'public') return;
  if (principal.kind === 'anonymous') {
    throw new UnauthorizedError(route.access === 'admin' ? 'admin token required' : 'sign in required');
  }
  if (route.access === 'admin' && principal.kind !== 'admin') {
    throw new ForbiddenError('this route is for the admin; a user session is not enough');
  }
  if (route.access === 'user' && principal.kind !== 'user') {
    throw new ForbiddenError('this route acts as a signed-in user; sign in with a user account');
  }
}

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new InvalidInputError(`body: content-type must be application/json, got ${JSON.stringify(type)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('body: not valid JSON');
  }
}

function register(app: Hono<AppEnv>, route: AnyRoute, server: ServerContext): void {
  app.on(route.method.toUpperCase(), route.path, async (c) => {
    c.set('route', route.path);
    const principal = c.get('principal');
    checkAccess(route, principal);
    const params = route.params ? parseInput('path', route.params, c.req.param()) : undefined;
    const query = route.query ? parseInput('query', route.query, c.req.query()) : undefined;
    const body = route.body ? parseInput('body', route.body, await readBody(c)) : undefined;
    const result = await route.handler({ c, params, query, body, principal, server } as Parameters<
      AnyRoute['handler']
    >[0]);
    if (result instanceof Response) return result;
    if (route.status === 204) return c.body(null, 204);
    return c.json(result ?? null, route.status ?? 200);
  });
}

function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof MovieNightError) {
    if (error instanceof TooManyAttemptsError) c.header('Retry-After', String(error.retryAfterSeconds));
    const status = error.status >= 400 && error.status <= 599 ? error.status : 500;
    if (status >= 500) console.error(error);
    // Our own errors are written to be shown (an ArtifactError names the broken version); only
    // unexpected errors below are hidden behind "internal error".
    return c.json({ error: { code: error.code, message: error.message } }, status as 400);
  }
  if (error instanceof z.ZodError) {
    // A schema used deeper down (not a request schema) rejected a value: still the caller's input.
    const issue = error.issues[0];
    return c.json(
      { error: { code: 'invalid_input', message: `${issue?.path.join('.') || 'input'}: ${issue?.message}` } },
      400,
    );
  }
  console.error(error);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/**
 * The MovieNight HTTP app: JSON API under /api, /openapi.json, /healthz, /metrics, and the browser
 * app. Testable with `app.request(...)` without opening a socket.
 */
export function createApp(options: CreateAppOptions): MovieNightApp {
  const metrics = new ServerMetrics();
  const background = new BackgroundJobs();
  const context: ServerContext = {
    db: options.db,
    catalog: new SqlCatalogStore(options.db),
    config: options.config,
    adminToken: options.adminToken,
    metrics,
    background,
    tuning: new TuningJobs(options.db, background),
    explanations: new ServerExplanations(options.db, options.config.likeThreshold),
    movieStats: new MovieStatsCache(options.db),
    workerLocation: options.workerLocation ?? options.db.file ?? undefined,
    now: options.now ?? Date.now,
    ...(options.servingStalenessMs === undefined ? {} : { servingStalenessMs: options.servingStalenessMs }),
  };
  const routes = [...allRoutes, ...(options.routes ?? [])];
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const start = performance.now();
    c.set('route', 'unmatched');
    c.set('principal', { kind: 'anonymous' });
    // Set before the route answers, so it joins the headers of the response the route builds.
    // Setting it afterwards makes Hono rebuild the finished response around a body stream, which
    // cost more than the rest of a rating post.
    c.header('x-content-type-options', 'nosniff');
    try {
      c.set('principal', await resolvePrincipal(c, context));
      await next();
      // A response built by hand (static files) does not carry the prepared headers.
      if (!c.res.headers.has('x-content-type-options')) c.header('x-content-type-options', 'nosniff');
    } catch (error) {
      c.res = errorResponse(c, error);
    }
    metrics.observeRequest(c.req.method, c.get('route'), c.res.status, (performance.now() - start) / 1000);
  });
  app.onError((error, c) => errorResponse(c, error));
  // Bodies are small JSON objects; a huge one is refused before it is read into memory.
  const maxBodyBytes = 64 * 1024;
  const tooLarge = (c: Context) =>
    c.json({ error: { code: 'payload_too_large', message: 'body: larger than 64 KiB' } }, 413);
  const streamedBodyLimit = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });
  app.use('/api/*', (c, next) => {
    // The usual case, a Content-Length, is checked from the header alone: Hono's bodyLimit would
    // first turn the request into a full web Request with a body stream (a third of a rating
    // post's cost). Bodies of unknown size (chunked) are counted as they are read, by bodyLimit.
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      return c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : streamedBodyLimit(c, next);
    }
    return Number(length) <= maxBodyBytes ? next() : Promise.resolve(tooLarge(c));
  });

  for (const route of routes) register(app, route, context);
  const document = buildOpenApiDocument(routes);
  app.get('/openapi.json', (c) => {
    c.set('route', '/openapi.json');
    return c.json(document);
  });

  if (options.webDist !== null) serveWebApp(app, options.webDist);
  app.notFound((c) => errorResponse(c, new NotFoundError(`no route ${c.req.method} ${c.req.path}`)));

  return {
    app,
    context,
    async close() {
      context.tuning.stopAll();
      await context.background.close();
    },
  };
}
