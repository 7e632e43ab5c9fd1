import { z } from 'zod';
import { latestSchemaVersion, readSchemaVersion } from '../../db/migrate.ts';
import { windowAccuracy, windowStart } from '../../monitoring/live-accuracy.ts';
import { activeModelStatus, getActiveModelVersion } from '../../registry/active-model.ts';
import { readAliases } from '../../registry/aliases.ts';
import { championVersion } from '../../registry/champion.ts';
import type { Gauge } from '../metrics.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import type { ServerContext } from '../server-context.ts';

/** Figures read from the database at scrape time: they are shared by every process. */
async function databaseGauges(server: ServerContext): Promise<Gauge[]> {
  const now = server.now();
  const accuracy = await windowAccuracy(server.db, windowStart(now, server.config.trainingWindowDays), now);
  const ratings = await server.catalog.countRatings();
  const aliases = await readAliases(server.db);
  const serving = activeModelStatus(server.db);
  return [
    {
      name: 'movienight_active_model_version',
      help: 'The champion model version named in the database (NaN when none).',
      value: aliases.get('champion') ?? null,
    },
    {
      name: 'movienight_challenger_model_version',
      help: 'The challenger model version of the running A/B test (NaN when none).',
      value: aliases.get('challenger') ?? null,
    },
    {
      name: 'movienight_serving_model_version',
      help: 'The model version this process has loaded and serves (NaN before the first request).',
      value: serving.servingVersion,
    },
    {
      name: 'movienight_tracker_accuracy',
      help: 'Live liked-accuracy of recommended movies over the rolling window (NaN without samples).',
      value: accuracy.accuracy,
    },
    {
      name: 'movienight_tracker_samples',
      help: 'Tracked recommended ratings in the rolling window.',
      value: accuracy.samples,
    },
    {
      name: 'movienight_accuracy_threshold',
      help: 'Live accuracy below this triggers a retrain.',
      value: server.config.accuracyThreshold,
    },
    { name: 'movienight_ratings_stored', help: 'Ratings in the database.', value: ratings },
  ];
}

const failure = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The database answers and its schema is the one this program expects. */
async function databaseReadiness(server: ServerContext): Promise<{ database: string; migrations: string }> {
  let version: number;
  try {
    version = await readSchemaVersion(server.db);
  } catch (error) {
    return { database: `unreachable: ${failure(error)}`, migrations: 'unknown' };
  }
  const migrations =
    version === latestSchemaVersion
      ? `current (${version})`
      : `schema version ${version}, this program expects ${latestSchemaVersion}`;
  return { database: 'ok', migrations };
}

/**
 * The champion can be served: it loads (the artifact is there and its checksum matches) into the
 * same per-process cache the recommendations use. No champion yet is ready (browsing and rating
 * work; recommendations say to train one); a champion that cannot load is not.
 */
async function championReadiness(server: ServerContext): Promise<string> {
  try {
    if ((await championVersion(server.db)) === null) return 'none yet';
    const active = await getActiveModelVersion(server.db, {
      ...(server.servingStalenessMs === undefined ? {} : { maxStalenessMs: server.servingStalenessMs }),
    });
    const status = activeModelStatus(server.db);
    if (status.error) return `serving v${active.version.version}, but ${status.error}`;
    return `ok (v${active.version.version})`;
  } catch (error) {
    return `not loadable: ${failure(error)}`;
  }
}

const readyChecks = z.object({
  database: z.string(),
  migrations: z.string(),
  champion: z.string(),
  /**
   * The explainer behind the reasons beside each pick: `ready`, `building` (the first build after
   * start runs in the background; picks are served meanwhile with their model's reason) or `not
   * started`. Informational: it does not make the server not ready.
   */
  explanations: z.enum(['ready', 'building', 'not started']),
});

export const healthRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'Liveness: the server answers and the database responds',
    access: 'public',
    response: z.object({
      status: z.literal('ok'),
      database: z.string(),
      schemaVersion: z.number(),
      /** The job queue's URL without its password; null when work runs in the serving process. */
      queue: z.string().nullable(),
    }),
    async handler({ server }) {
      // A read only: a health probe hit every few seconds must not take the write lock.
      const schemaVersion = await readSchemaVersion(server.db);
      // The queue's URL without its password, or null when work runs in this process.
      const queue = server.queue?.url.display ?? null;
      return { status: 'ok' as const, database: server.db.dialect, schemaVersion, queue };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tag: 'operations',
    summary:
      'Readiness: the database answers, its migrations are current and the champion loads (503 with the reason otherwise)',
    access: 'public',
    response: z.object({ status: z.enum(['ready', 'not ready']), checks: readyChecks }),
    errors: [503],
    unavailableWithBody: true,
    async handler({ c, server }) {
      const { database, migrations } = await databaseReadiness(server);
      const champion = database === 'ok' ? await championReadiness(server) : 'unknown';
      const ready =
        database === 'ok' && migrations.startsWith('current') && !champion.startsWith('not loadable');
      return c.json(
        {
          status: ready ? 'ready' : 'not ready',
          checks: { database, migrations, champion, explanations: server.explanations.state() },
        },
        ready ? 200 : 503,
      );
    },
  }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus text format: requests, latencies, ratings, tracker accuracy, active version',
    access: 'public',
    produces: 'text/plain; version=0.0.4',
    async handler({ c, server }) {
      const text = server.metrics.render(await databaseGauges(server));
      return c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    },
  }),
];
