import { z } from 'zod';
import { contourChart } from '../../charts/index.ts';
import { InvalidInputError, NotFoundError } from '../../errors.ts';
import { SqlTuningStorage } from '../../tuning/sql-tuning-storage.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import { svgResponse } from './admin-tracking-routes.ts';

/** Whether the run's search space declares `name` as searched on a log scale. */
function isLog(space: unknown, name: string): boolean {
  const params = (space as { params?: Record<string, { log?: boolean }> } | null)?.params;
  return params?.[name]?.log === true;
}

export const adminTuningViewRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/tuning-contour',
    operationId: 'chartTuningContour',
    tag: 'admin: charts',
    summary: "SVG: a run's objective over two numeric parameters (interpolated surface and the trials)",
    access: 'admin',
    errors: [404],
    produces: 'image/svg+xml',
    query: z
      .object({
        run: z.string().trim().min(1).max(100),
        x: z.string().trim().min(1).max(60),
        y: z.string().trim().min(1).max(60),
        width: z.coerce.number().int().min(240).max(1200).optional(),
      })
      .strict(),
    async handler({ c, query, server }) {
      const storage = new SqlTuningStorage(server.db);
      const run = await storage.getRun(query.run);
      if (!run) throw new NotFoundError(`tuning run ${JSON.stringify(query.run)} does not exist`);
      if (query.x === query.y) throw new InvalidInputError('query.y: must name another parameter than x');
      const trials = (await storage.listTrials(run.id)).filter(
        (t) => t.state === 'complete' && t.value !== null,
      );
      const points = trials.flatMap((t) => {
        const x = t.params[query.x];
        const y = t.params[query.y];
        return typeof x === 'number' && typeof y === 'number' ? [{ x, y, value: t.value! }] : [];
      });
      return svgResponse(
        c,
        contourChart({
          title: `${run.objective} over ${query.x} and ${query.y}`,
          xLabel: query.x,
          yLabel: query.y,
          points,
          direction: run.direction,
          xLog: isLog(run.config.space, query.x),
          yLog: isLog(run.config.space, query.y),
          ...(query.width ? { width: query.width } : {}),
        }),
      );
    },
  }),
];
