import { type Context, Hono } from 'hono';
import pino, { type DestinationStream } from 'pino';
import type { Config } from '../config.ts';
import { SqlCatalogStore } from '../data/catalog-store.ts';
import type { Database } from '../db/database.ts';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from '../errors.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { Principal } from './auth/sessions.ts';
import { BackgroundJobs } from './background-jobs.ts';
import { ServerExplanations } from './explanations.ts';
import { RateLimiter } from './limits/rate-limiter.ts';
import { ServerMetrics } from './metrics.ts';
import {
  type AppEnv,
  authenticate,
  errorBoundary,
  errorResponse,
  limitBodySize,
  requestLog,
} from './middleware.ts';
import { MovieStatsCache } from './movie-stats-cache.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { AnyRoute } from './route-spec.ts';
import { mountQueueBoard } from './routes/admin-queue-routes.ts';
import { allRoutes } from './routes/index.ts';
import { csrfGuard, rateLimit, securityHeaders } from './security.ts';
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
   * How stale the cached champion and running A/B test may be when serving, ms (default
   * 1000). Tests use 0 to see a change at once.
   */
  readonly servingStalenessMs?: number;
  /** Where request log lines go (one JSON line each); default standard output. */
  readonly logDestination?: DestinationStream;
  /**
   * The job queue: retrains and tuning trials started here become jobs for `movienight worker`,
   * and bull-board shows it under /admin/queues. Default none (they run in this process).
   */
  readonly queue?: JobQueue;
  /** Extra routes (tests); the standard ones are always there. */
  readonly routes?: readonly AnyRoute[];
  /**
   * Check every JSON answer against its route's response schema, and answer 500 naming the field
   * when it does not match (tests; it costs a parse per request).
   */
  readonly checkResponses?: boolean;
}

export interface MovieNightApp {
  readonly app: Hono<AppEnv>;
  readonly context: ServerContext;
  /** Waits for background work (retrains, tuning runs) started by the app, and refuses new work. */
  close(): Promise<void>;
}

function checkAccess(route: AnyRoute, principal: Principal): void {
  if (route.access === 'public' || route.access === 'optional') return;
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

/** The JSON a handler's data becomes, checked against the route's response schema. */
function checkResponse(route: AnyRoute, result: unknown): void {
  if (!route.response) return;
  const sent: unknown = JSON.parse(JSON.stringify(result ?? null));
  const parsed = route.response.safeParse(sent);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  throw new Error(
    `${route.method.toUpperCase()} ${route.path}: answer does not match its response schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}

function register(app: Hono<AppEnv>, route: AnyRoute, server: ServerContext, checkResponses: boolean): void {
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
    if (checkResponses) checkResponse(route, result);
    return c.json(result ?? null, route.status ?? 200);
  });
}

/** What every route handler reaches: the options given plus the server's own state. */
function buildContext(options: CreateAppOptions, metrics: ServerMetrics): ServerContext {
  const background = new BackgroundJobs();
  return {
    db: options.db,
    catalog: new SqlCatalogStore(options.db),
    config: options.config,
    adminToken: options.adminToken,
    metrics,
    limiter: new RateLimiter(options.db),
    background,
    tuning: new TuningJobs(options.db, background, options.queue ?? null),
    queue: options.queue ?? null,
    explanations: new ServerExplanations(options.db, options.config.likeThreshold),
    movieStats: new MovieStatsCache(options.db),
    workerLocation: options.workerLocation ?? options.db.file ?? undefined,
    now: options.now ?? Date.now,
    ...(options.servingStalenessMs === undefined ? {} : { servingStalenessMs: options.servingStalenessMs }),
  };
}

/**
 * The MovieNight HTTP app: JSON API under /api, /openapi.json, /healthz, /metrics, and the browser
 * app. Testable with `app.request(...)` without opening a socket.
 */
export function createApp(options: CreateAppOptions): MovieNightApp {
  const metrics = new ServerMetrics();
  const logger = pino({ level: options.config.logLevel }, options.logDestination);
  const context = buildContext(options, metrics);
  const routes = [...allRoutes, ...(options.routes ?? [])];
  const app = new Hono<AppEnv>();

  app.use('*', requestLog(metrics, logger));
  app.use('*', securityHeaders);
  app.use('*', errorBoundary);
  app.use('*', authenticate(context));
  app.onError((error, c) => errorResponse(c, error));
  app.use('/api/*', limitBodySize);
  app.use('/api/*', csrfGuard(context));
  app.use('/api/*', rateLimit(context));

  for (const route of routes) register(app, route, context, options.checkResponses ?? false);
  if (context.queue) mountQueueBoard(app, context.queue);
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
