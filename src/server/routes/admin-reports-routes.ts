import { z } from 'zod';
import { type ImpactOptions, type ImpactReport, impactReport } from '../../reports/impact-report.ts';
import { type ReportData, type ReportKind, reportKinds, reportViews } from '../../reports/report-registry.ts';
import { statusReport } from '../../reports/status-report.ts';
import { tuningReport } from '../../reports/tuning-report.ts';
import {
  type UnexpectedSource,
  unexpectedMoviesReport,
  unexpectedSources,
} from '../../reports/unexpected-movies-report.ts';
import { bestHpPathFor } from '../../tuning/best-hp.ts';
import { impactReportInThread, impactReportJob } from '../report-jobs.ts';
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
    seed: z.coerce.number().int().optional(),
  })
  .strict();

type ReportQuery = z.infer<typeof reportQuery>;

async function impactInWorker(server: ServerContext, options: ImpactOptions): Promise<ImpactReport> {
  // With a queue a worker fits the models; else a thread of this process, when one can open the database.
  if (server.queue) return server.queue.run(impactReportJob, options);
  if (server.workerLocation === undefined) return impactReport(server.db, options);
  return impactReportInThread(server.workerLocation, options);
}

/** Computes one report's plain data (the report functions), with the server's config and clock. */
export async function computeReport<K extends ReportKind>(
  server: ServerContext,
  kind: K,
  query: ReportQuery,
): Promise<ReportData[K]> {
  const now = server.now();
  switch (kind) {
    case 'status':
      return (await statusReport(server.db, {
        now,
        config: server.config,
        ...(server.db.file === null ? {} : { bestHpPath: bestHpPathFor(server.db.file) }),
      })) as ReportData[K];
    case 'tuning':
      return (await tuningReport(server.db, {
        now,
        ...(query.run ? { runId: query.run } : {}),
      })) as ReportData[K];
    case 'unexpected':
      return (await unexpectedMoviesReport(server.db, {
        now,
        ...(query.source ? { source: query.source } : {}),
        ...(query.top ? { top: query.top } : {}),
        ...(server.config.likeThreshold === undefined ? {} : { likeThreshold: server.config.likeThreshold }),
      })) as ReportData[K];
    default:
      return (await impactInWorker(server, {
        now,
        scenarios: query.scenarios === 'true',
        ...(query.model ? { kind: query.model } : {}),
        ...(query.seed === undefined ? {} : { seed: query.seed }),
      })) as ReportData[K];
  }
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
      "A report's plain data (status, tuning, unexpected, impact — impact fits models in a worker thread)",
    access: 'admin',
    response: getReportResponse,
    errors: [404],
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      return computeReport(server, params.kind, query);
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
    errors: [404],
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      const kind = params.kind;
      const data = await computeReport(server, kind, query);
      const view = reportViews[kind] as { charts(report: unknown): string[] };
      return { kind, charts: view.charts(data) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind/html',
    operationId: 'getReportHtml',
    tag: 'admin: reports',
    summary: 'A report as a self-contained HTML page (to save or share)',
    access: 'admin',
    errors: [404],
    params: kindParam,
    query: reportQuery,
    produces: 'text/html',
    async handler({ c, params, query, server }) {
      const data = await computeReport(server, params.kind, query);
      const view = reportViews[params.kind] as { html(report: unknown): string };
      // The page is data shown as is: no script may run in it, whatever a title contains.
      c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      return c.html(view.html(data));
    },
  }),
];
