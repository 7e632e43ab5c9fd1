import { z } from 'zod';
import { MovieNightError } from '../../errors.ts';
import { type ReportKind, reportKinds, reportViews } from '../../reports/report-registry.ts';
import { type UnexpectedSource, unexpectedSources } from '../../reports/unexpected-movies-report.ts';
import { startWorker } from '../../threads/worker-thread.ts';
import { computeReport, type ReportQuery, type ReportRender } from '../report-compute.ts';
import type { ReportWorkerReply, ReportWorkerRequest } from '../report-worker.ts';
import { seedNumber } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
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

/** How long a report may take before the request gives up on it (the impact report fits models). */
const reportDeadlineMs: Readonly<Record<ReportKind, number>> = {
  status: 30_000,
  tuning: 30_000,
  unexpected: 30_000,
  impact: 300_000,
};

export class ReportTimeoutError extends MovieNightError {
  constructor(kind: ReportKind, ms: number) {
    super(`the ${kind} report took longer than ${ms / 1000} s and was stopped`, 'report_timeout', 503);
  }
}

/** Runs the worker and waits for its reply, or ends the thread once the deadline passes. */
async function replyBefore(request: ReportWorkerRequest, deadlineMs: number): Promise<ReportWorkerReply> {
  const worker = startWorker<ReportWorkerRequest, ReportWorkerReply>(
    new URL('../report-worker.ts', import.meta.url),
    { name: `${request.kind}-report` },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ReportWorkerReply>((resolve, reject) => {
      worker.onMessage(resolve);
      worker.onError(reject);
      void worker.exited.then((code) => reject(new Error(`report worker exited with code ${code}`)));
      timer = setTimeout(() => reject(new ReportTimeoutError(request.kind, deadlineMs)), deadlineMs);
      worker.post(request);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

/**
 * A report's data, charts or page, computed in a worker thread with a deadline so a slow report
 * (a large table, a stored value far out of range) never holds the serving thread. An in-memory
 * database cannot be opened from another thread: its reports run here.
 */
async function report(server: ServerContext, kind: ReportKind, query: ReportQuery, render: ReportRender) {
  const request = { kind, query, render, now: server.now(), config: server.config };
  if (server.workerLocation === undefined) return computeReport(server.db, request);
  const reply = await replyBefore({ ...request, location: server.workerLocation }, reportDeadlineMs[kind]);
  if (!reply.ok) {
    const message = kind === 'impact' ? `impact report: ${reply.error}` : reply.error;
    throw new MovieNightError(message, reply.code, reply.status);
  }
  return reply.data;
}

export const adminReportsRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/reports',
    tag: 'admin: reports',
    summary: 'The reports there are',
    access: 'admin',
    async handler() {
      return { reports: reportKinds.map((kind) => ({ kind, description: reportViews[kind].description })) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind',
    tag: 'admin: reports',
    summary:
      "A report's plain data (status, tuning, unexpected, impact); every report runs in a worker thread with a deadline (503 past it)",
    access: 'admin',
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      return report(server, params.kind, query, 'data');
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind/charts',
    tag: 'admin: reports',
    summary: "A report's charts as SVG strings, for the dashboard to lay out",
    access: 'admin',
    params: kindParam,
    query: reportQuery,
    async handler({ params, query, server }) {
      return report(server, params.kind, query, 'charts');
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/reports/:kind/html',
    tag: 'admin: reports',
    summary: 'A report as a self-contained HTML page (to save or share)',
    access: 'admin',
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
