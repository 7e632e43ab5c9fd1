import { z } from 'zod';
import { type ReportData, type ReportKind, reportKinds, reportViews } from '../../reports/report-registry.ts';
import { type UnexpectedSource, unexpectedSources } from '../../reports/unexpected-movies-report.ts';
import { computeReport, type ReportQuery, type ReportRender } from '../report-compute.ts';
import { reportInThread, reportJob } from '../report-jobs.ts';
import { seedNumber } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import {
  getReportChartsResponse,
  getReportResponse,
  listReportsResponse,
} from '../schemas/report-schemas.ts';
import type { ServerContext } from '../server-context.ts';

const kindParam = z.object({ kind: z.enum(reportKinds as [ReportKind, ...ReportKind[]]) });

/** Every report's options in one query schema; each report reads the ones that concern it. */
const reportQuery = z
  .object({
    run: z.string().trim().min(1).max(100).optional().describe('tuning: run id (default the latest)'),
    source: z.enum(unexpectedSources as [UnexpectedSource, ...UnexpectedSource[]]).optional(),
    top: z.coerce.number().int().min(1).max(100).optional(),
    model: z.string().trim().min(1).max(40).optional().describe('impact: model kind to ablate'),
    scenarios: z.enum(['true', 'false']).optional().describe('impact: also the halved/doubled scenarios'),
    seed: z.coerce.number().pipe(seedNumber()).optional(),
  })
  .strict();

/**
 * A report's data, charts or page. With a queue the impact report (it fits models) goes to a
 * worker; otherwise every report runs in a worker thread of this process with a deadline, so a
 * slow report (a large table, a stored value far out of range) never holds the serving thread. An
 * in-memory database cannot be opened from another thread: its reports run here.
 */
async function report(server: ServerContext, kind: ReportKind, query: ReportQuery, render: ReportRender) {
  const request = { kind, query, render, now: server.now(), config: server.config };
  if (kind === 'impact' && server.queue) return server.queue.run(reportJob, request);
  if (server.workerLocation === undefined) return computeReport(server.db, request);
  return reportInThread(server.workerLocation, request);
}

export const adminReportsRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/reports',
    operationId: 'listReports',
    tag: 'admin: reports',
    summary: 'The reports there are',
    access: 'admin',
    response: listReportsResponse,
    async handler() {
      return { reports: reportKinds.map((kind) => ({ kind, description: reportViews[kind].description })) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind',
    operationId: 'getReport',
    tag: 'admin: reports',
    summary:
      "A report's plain data (status, tuning, unexpected, impact); every report runs in a worker thread with a deadline (503 past it)",
    access: 'admin',
    response: getReportResponse,
    errors: [404, 503],
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      return (await report(server, params.kind, query, 'data')) as ReportData[ReportKind];
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind/charts',
    operationId: 'getReportCharts',
    tag: 'admin: reports',
    summary: "A report's charts as SVG strings, for the dashboard to lay out",
    access: 'admin',
    response: getReportChartsResponse,
    errors: [404, 503],
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      return (await report(server, params.kind, query, 'charts')) as { kind: ReportKind; charts: string[] };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind/html',
    operationId: 'getReportHtml',
    tag: 'admin: reports',
    summary: 'A report as a self-contained HTML page (to save or share)',
    access: 'admin',
    errors: [404, 503],
    params: kindParam,
    query: reportQuery,
    produces: 'text/html',
    async handler({ c, params, query, server }) {
      const page = (await report(server, params.kind, query, 'html')) as string;
      // The page is data shown as is: no script may run in it, whatever a title contains.
      c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      return c.html(page);
    },
  }),
];
