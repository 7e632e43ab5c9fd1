import type { Context } from 'hono';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { enqueuePendingRetrain } from '../../retraining/retrain-jobs.ts';
import { getTrigger, listSteps, listTriggers, requestRetrain } from '../../retraining/retrain-triggers.ts';
import { trackStatus } from '../../retraining/track-status.ts';
import { accuracyByVersionChart, retrainTriggersChart, trackerAccuracyChart } from '../dashboard-charts.ts';
import { idFromText, seedNumber } from '../request-bounds.ts';
import { defineRoute } from '../route-spec.ts';
import {
  getRetrainTriggerResponse,
  getTrackerStatusResponse,
  listRetrainTriggersResponse,
  requestRetrainResponse,
} from '../schemas/tracking-schemas.ts';
import type { ServerContext } from '../server-context.ts';

/** An SVG chart answer; charts are only shown to the admin, but still never cached stale. */
export function svgResponse(c: Context, svg: string): Response {
  return c.body(svg, 200, { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-store' });
}

/**
 * Runs the pending trigger now, in the background: one scheduler pass (which trains in a worker
 * thread when the database can be opened from one), or, with a queue, a retrain job for a worker.
 * The scheduler would reach it within schedulerIntervalSeconds anyway; this only saves the wait.
 */
export function kickScheduler(server: ServerContext): void {
  const queue = server.queue;
  if (queue) {
    // With a queue a worker runs it: enqueued under the trigger's id, so once however many replicas ask.
    server.background.start('retrain', () => enqueuePendingRetrain(server.db, queue));
    return;
  }
  server.background.start('retrain', async () => {
    // Loaded on first use: the scheduler pulls in the whole training stack.
    const { schedulerTick } = await import('../../retraining/scheduler.ts');
    await schedulerTick(server.db, {
      config: server.config,
      ...(server.workerLocation === undefined ? {} : { location: server.workerLocation }),
    });
  });
}

const retrainBody = z
  .object({
    reason: z.string().trim().min(1).max(300).optional(),
    tune: z.boolean().optional(),
    method: z.string().min(1).max(40).optional(),
    trials: z.number().int().min(1).max(500).optional(),
    activateIfBetter: z.boolean().optional(),
    model: z.string().min(1).max(40).optional(),
    seed: seedNumber().optional(),
    abTraffic: z.number().gt(0).lt(1).optional(),
  })
  .strict();

export const adminTrackingRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/admin/tracker',
    operationId: 'getTrackerStatus',
    tag: 'admin: tracking',
    summary:
      'Tracker status: window accuracy overall, by version, arm and day; worst movies; the retrain rule',
    access: 'admin',
    response: getTrackerStatusResponse,
    async handler({ server }) {
      return trackStatus(server.db, server.config, { now: server.now() });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/retrain/triggers',
    operationId: 'listRetrainTriggers',
    tag: 'admin: tracking',
    summary: 'Recent retrain triggers (automatic and manual) with their outcomes, newest first',
    access: 'admin',
    response: listRetrainTriggersResponse,
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict(),
    async handler({ query, server }) {
      return { triggers: await listTriggers(server.db, query.limit), running: server.background.names() };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/retrain/triggers/:id',
    operationId: 'getRetrainTrigger',
    tag: 'admin: tracking',
    summary: 'One retrain trigger with its steps',
    access: 'admin',
    response: getRetrainTriggerResponse,
    errors: [404],
    params: z.object({ id: idFromText() }),
    async handler({ params, server }) {
      const trigger = await getTrigger(server.db, params.id);
      if (!trigger) throw new NotFoundError(`retrain trigger ${params.id} does not exist`);
      return { trigger, steps: await listSteps(server.db, params.id) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/retrain',
    operationId: 'requestRetrain',
    tag: 'admin: tracking',
    summary:
      'Retrain now: records a manual trigger and runs it in the background (202); 409 when one is open',
    access: 'admin',
    response: requestRetrainResponse,
    errors: [409],
    body: retrainBody.optional(),
    status: 202,
    async handler({ body, server }) {
      const { reason, ...options } = body ?? {};
      const decision = await requestRetrain(
        server.db,
        { source: 'manual', reason: reason ?? 'requested from the dashboard', options },
        server.config,
        server.now(),
      );
      if (!decision.created) throw new ConflictError(`cannot retrain now: ${decision.blocked}`);
      kickScheduler(server);
      return { trigger: decision.trigger };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/tracker-accuracy',
    operationId: 'chartTrackerAccuracy',
    tag: 'admin: charts',
    summary: 'SVG: tracker accuracy by day with its 95 % interval and the retrain threshold line',
    access: 'admin',
    produces: 'image/svg+xml',
    async handler({ c, server }) {
      const status = await trackStatus(server.db, server.config, { now: server.now() });
      return svgResponse(c, trackerAccuracyChart(status, server.config.accuracyThreshold));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/accuracy-by-version',
    operationId: 'chartAccuracyByVersion',
    tag: 'admin: charts',
    summary: 'SVG: window accuracy of each model version',
    access: 'admin',
    produces: 'image/svg+xml',
    async handler({ c, server }) {
      const status = await trackStatus(server.db, server.config, { now: server.now() });
      return svgResponse(c, accuracyByVersionChart(status));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/retrain-triggers',
    operationId: 'chartRetrainTriggers',
    tag: 'admin: charts',
    summary: 'SVG: retrain triggers over time by source and outcome',
    access: 'admin',
    produces: 'image/svg+xml',
    async handler({ c, server }) {
      return svgResponse(
        c,
        retrainTriggersChart(await listTriggers(server.db, 200), server.config.accuracyThreshold),
      );
    },
  }),
];
