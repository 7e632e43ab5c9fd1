import { z } from 'zod';
import { activeModelStatus } from '../../registry/active-model.ts';
import {
  activateVersion,
  aliasHistory,
  readAliases,
  rollback,
  rollbackTarget,
} from '../../registry/aliases.ts';
import { getVersion, listVersions } from '../../registry/model-versions.ts';
import { aliasHistoryChart, versionMetricsChart } from '../dashboard-charts.ts';
import { idFromText } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import {
  activateVersionResponse,
  getAliasHistoryResponse,
  getVersionResponse,
  listVersionsResponse,
  rollbackChampionResponse,
} from '../schemas/versions-schemas.ts';
import { svgResponse } from './admin-tracking-routes.ts';

const versionParam = z.object({
  version: idFromText(),
});
const reasonBody = z
  .object({ reason: z.string().trim().min(1).max(300).optional() })
  .strict()
  .optional();
const historyQuery = z
  .object({
    alias: z.enum(['champion', 'challenger']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const adminVersionsRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/versions',
    operationId: 'listVersions',
    tag: 'admin: versions',
    summary:
      'Every model version (newest first) with the champion and challenger aliases, what is served, and the version a rollback would return to',
    access: 'admin',
    response: listVersionsResponse,
    async handler({ server }) {
      const [versions, aliases, rollbackTo] = await Promise.all([
        listVersions(server.db),
        readAliases(server.db),
        rollbackTarget(server.db),
      ]);
      return {
        champion: aliases.get('champion') ?? null,
        challenger: aliases.get('challenger') ?? null,
        rollbackTo,
        serving: activeModelStatus(server.db),
        versions,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/versions/history',
    operationId: 'getAliasHistory',
    tag: 'admin: versions',
    summary: 'Alias history: every move of champion and challenger, oldest first',
    access: 'admin',
    response: getAliasHistoryResponse,
    query: historyQuery,
    async handler({ query, server }) {
      return {
        history: await aliasHistory(server.db, {
          limit: query.limit,
          ...(query.alias ? { alias: query.alias } : {}),
        }),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/versions/:version',
    operationId: 'getVersion',
    tag: 'admin: versions',
    summary: 'One model version: kind, parameters, training data, lineage, metrics, artifact',
    access: 'admin',
    response: getVersionResponse,
    errors: [404],
    params: versionParam,
    async handler({ params, server }) {
      return getVersion(server.db, params.version);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/versions/:version/activate',
    operationId: 'activateVersion',
    tag: 'admin: versions',
    summary: 'Make a version the champion (its artifact is verified first; a running A/B test is stopped)',
    access: 'admin',
    response: activateVersionResponse,
    errors: [404],
    params: versionParam,
    body: reasonBody,
    async handler({ params, body, server }) {
      return activateVersion(server.db, params.version, {
        now: server.now(),
        ...(body?.reason ? { reason: body.reason } : {}),
      });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/versions/rollback',
    operationId: 'rollbackChampion',
    tag: 'admin: versions',
    summary: 'Return to the previous champion in one step (409 when there is none)',
    access: 'admin',
    response: rollbackChampionResponse,
    errors: [409],
    body: reasonBody,
    async handler({ body, server }) {
      return rollback(server.db, { now: server.now(), ...(body?.reason ? { reason: body.reason } : {}) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/alias-history',
    operationId: 'chartAliasHistory',
    tag: 'admin: charts',
    summary: 'SVG: champion and challenger version over time',
    access: 'admin',
    produces: 'image/svg+xml',
    async handler({ c, server }) {
      return svgResponse(c, aliasHistoryChart(await aliasHistory(server.db, { limit: 500 }), server.now()));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/version-metrics',
    operationId: 'chartVersionMetrics',
    tag: 'admin: charts',
    summary: 'SVG: offline metrics of the most recent versions',
    access: 'admin',
    produces: 'image/svg+xml',
    async handler({ c, server }) {
      return svgResponse(c, versionMetricsChart(await listVersions(server.db)));
    },
  }),
];
