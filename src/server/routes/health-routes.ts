import { z } from 'zod';
import { readSchemaVersion } from '../../db/migrate.ts';
import { windowAccuracy, windowStart } from '../../monitoring/live-accuracy.ts';
import { activeModelStatus } from '../../registry/active-model.ts';
import { readAliases } from '../../registry/aliases.ts';
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
