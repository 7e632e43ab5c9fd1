import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import { modelKindInput } from '../../models/model-registry.ts';
import { bestHpPathFor } from '../../tuning/best-hp.ts';
import { type ObjectiveMetric, objectiveMetrics } from '../../tuning/objective.ts';
import { reviewTuning } from '../../tuning/review.ts';
import { type TuningMethod, tuningMethods } from '../../tuning/sampler-registry.ts';
import { SqlTuningStorage } from '../../tuning/sql-tuning-storage.ts';
import { seedNumber } from '../request-bounds.ts';
import { defineRoute } from '../route-spec.ts';
import {
  getTuningRunResponse,
  listTuningRunsResponse,
  reviewTuningRunResponse,
  startTuningRunResponse,
  stopTuningRunResponse,
} from '../schemas/tuning-schemas.ts';

const runParam = z.object({ id: z.string().min(1).max(100) });

const startBody = z
  .object({
    method: z.enum(tuningMethods as [TuningMethod, ...TuningMethod[]]).default('random'),
    model: modelKindInput.default('svd'),
    trials: z.number().int().min(1).max(500).optional(),
    objective: z.enum(objectiveMetrics as [ObjectiveMetric, ...ObjectiveMetric[]]).optional(),
    folds: z.number().int().min(2).max(10).optional(),
    seed: seedNumber().optional(),
    workers: z
      .number()
      .int()
      .min(1)
      .max(8)
      .default(1)
      .describe('trial worker threads; default 1 leaves a core for serving'),
  })
  .strict();

export const adminTuningRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/admin/tuning/runs',
    operationId: 'listTuningRuns',
    tag: 'admin: tuning',
    summary: 'Tuning runs, newest first, with progress (trials done of planned) and best value',
    access: 'admin',
    response: listTuningRunsResponse,
    query: z
      .object({
        model: z.string().min(1).max(40).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      })
      .strict(),
    async handler({ query, server }) {
      const runs = await new SqlTuningStorage(server.db).listRuns({
        limit: query.limit,
        ...(query.model ? { model: query.model } : {}),
      });
      return { runs: runs.map((run) => ({ ...run, live: server.tuning.progress(run.id) })) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/tuning/runs',
    operationId: 'startTuningRun',
    tag: 'admin: tuning',
    summary:
      'Start a tuning run in the background (trials cross-validated in worker threads); 202 with its id',
    access: 'admin',
    response: startTuningRunResponse,
    body: startBody.optional(),
    status: 202,
    async handler({ body, server }) {
      const options = startBody.parse(body ?? {});
      const runId = await server.tuning.start({
        method: options.method,
        model: options.model,
        workers: options.workers,
        bestOut: server.db.file === null ? null : bestHpPathFor(server.db.file),
        ...(options.trials === undefined ? {} : { trials: options.trials }),
        ...(options.objective === undefined ? {} : { objective: options.objective }),
        ...(options.folds === undefined ? {} : { folds: options.folds }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      return { runId };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/tuning/runs/:id',
    operationId: 'getTuningRun',
    tag: 'admin: tuning',
    summary: 'One run: progress, every trial (params, state, value, intermediate values), best',
    access: 'admin',
    response: getTuningRunResponse,
    errors: [404],
    params: runParam,
    async handler({ params, server }) {
      const storage = new SqlTuningStorage(server.db);
      const run = await storage.getRun(params.id);
      if (!run) throw new NotFoundError(`tuning run ${JSON.stringify(params.id)} does not exist`);
      return { run, live: server.tuning.progress(run.id), trials: await storage.listTrials(run.id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/tuning/runs/:id/review',
    operationId: 'reviewTuningRun',
    tag: 'admin: tuning',
    summary:
      'Review a run: best against default, majority baseline (and the active model), top trials, importance',
    access: 'admin',
    response: reviewTuningRunResponse,
    errors: [404],
    params: runParam,
    query: z
      .object({
        top: z.coerce.number().int().min(1).max(50).default(5),
        measureActive: z
          .enum(['true', 'false'])
          .default('false')
          .describe('also cross-validate the active model on the run’s folds (slow)'),
      })
      .strict(),
    async handler({ params, query, server }) {
      return reviewTuning(server.db, {
        runId: params.id,
        top: query.top,
        measureActive: query.measureActive === 'true',
        ...(server.db.file === null ? {} : { bestHpPath: bestHpPathFor(server.db.file) }),
      });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/tuning/runs/:id/stop',
    operationId: 'stopTuningRun',
    tag: 'admin: tuning',
    summary: 'Stop a run this server is running (finished trials stay; the run can be resumed)',
    access: 'admin',
    response: stopTuningRunResponse,
    errors: [409],
    params: runParam,
    status: 202,
    async handler({ params, server }) {
      server.tuning.stop(params.id);
      return { runId: params.id, stopping: true as const };
    },
  }),
];
