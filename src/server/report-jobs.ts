import { MovieNightError } from '../errors.ts';
import { defineJobKind } from '../queue/job-kind.ts';
import type { ReportKind } from '../reports/report-registry.ts';
import { startWorker } from '../threads/worker-thread.ts';
import type { ReportRequest } from './report-compute.ts';
import type { ReportWorkerReply, ReportWorkerRequest } from './report-worker.ts';

/** How long a report may take before the request gives up on it (the impact report fits models). */
export const reportDeadlineMs: Readonly<Record<ReportKind, number>> = {
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
    new URL('./report-worker.ts', import.meta.url),
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
 * A report's data, charts or page, computed in a worker thread that opens `location` itself, and
 * stopped at the report's deadline: a slow report never holds the thread that asked for it. A
 * refusal (4xx) stays a refusal across the thread.
 */
export async function reportInThread(location: string, request: ReportRequest): Promise<unknown> {
  const reply = await replyBefore({ ...request, location }, reportDeadlineMs[request.kind]);
  if (!reply.ok) {
    const message = request.kind === 'impact' ? `impact report: ${reply.error}` : reply.error;
    throw new MovieNightError(message, reply.code, reply.status);
  }
  return reply.data;
}

/**
 * A report as a job: with a queue, the server asks a worker for the impact report instead of
 * fitting models beside the requests it serves. The worker computes it in a thread, so the job's
 * lock keeps being renewed; the rendered report (plain data, charts or page) is the job's result.
 */
export const reportJob = defineJobKind<ReportRequest, unknown>({
  name: 'report',
  lane: 'jobs',
  async run(request, context) {
    await context.progress({ step: `computing the ${request.kind} report`, percent: 0 });
    const report = await reportInThread(context.location, request);
    await context.progress({ step: 'done', percent: 100 });
    return report;
  },
});
