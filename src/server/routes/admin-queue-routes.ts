import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../../errors.ts';
import { jobLanes } from '../../queue/job-kind.ts';
import type { JobQueue } from '../../queue/job-queue.ts';
import type { AppEnv } from '../middleware.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';

type BoardOptions = Parameters<typeof createBullBoard>[0];

/** Where bull-board's pages are: under the admin area. */
export const queueBoardPath = '/admin/queues';

/**
 * bull-board (the BullMQ dashboard) over both lanes of the queue, for the admin only: the admin
 * token as a bearer, or an admin session's cookie (a browser following the dashboard's link).
 */
export function mountQueueBoard(app: Hono<AppEnv>, queue: JobQueue): void {
  const adapter = new HonoAdapter(serveStatic).setBasePath(queueBoardPath);
  createBullBoard({
    queues: jobLanes.map((lane) => new BullMQAdapter(queue.queue(lane))),
    // The Hono adapter ships its own copy of @bull-board/api (a patch version apart): the same
    // interface, two declarations.
    serverAdapter: adapter as unknown as BoardOptions['serverAdapter'],
    options: { uiConfig: { boardTitle: 'MovieNight jobs' } },
  });
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set('route', queueBoardPath);
    const principal = c.get('principal');
    if (principal.kind === 'anonymous') throw new UnauthorizedError('admin sign-in required');
    if (principal.kind !== 'admin') throw new ForbiddenError('the job queue is for the admin');
    await next();
  };
  app.use(queueBoardPath, guard);
  app.use(`${queueBoardPath}/*`, guard);
  app.route(queueBoardPath, adapter.registerPlugin());
}

const jobRow = z.object({
  lane: z.string(),
  id: z.string(),
  name: z.string(),
  state: z.string(),
  progress: z.unknown(),
  startedAt: z.number().nullable(),
});

/** The queue's display URL, bull-board's path, and the jobs running or waiting. */
export const queueStateResponse = z.object({
  queue: z.string().nullable(),
  board: z.string().nullable(),
  jobs: z.array(jobRow),
});

/** Jobs now running or waiting, with their progress: what the dashboard shows beside its own pages. */
export const adminQueueRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/queue',
    operationId: 'getJobQueue',
    tag: 'admin',
    summary: 'The job queue: its URL, and the jobs running or waiting with their progress',
    access: 'admin',
    response: queueStateResponse,
    async handler({ server }) {
      const queue = server.queue;
      if (!queue) return { queue: null, board: null, jobs: [] };
      const jobs = [];
      for (const lane of jobLanes) {
        for (const state of ['active', 'waiting'] as const) {
          for (const job of await queue.queue(lane).getJobs([state], 0, 49)) {
            jobs.push({
              lane,
              id: String(job.id),
              name: job.name,
              state,
              progress: job.progress,
              startedAt: job.processedOn ?? null,
            });
          }
        }
      }
      return { queue: queue.url.display, board: queueBoardPath, jobs };
    },
  }),
];
