import { MovieNightError } from '../errors.ts';
import { defineJobKind } from '../queue/job-kind.ts';
import type { ImpactOptions, ImpactReport } from '../reports/impact-report.ts';
import { runInWorker } from '../threads/worker-thread.ts';
import type { ReportWorkerReply, ReportWorkerRequest } from './report-worker.ts';

/** Computes the impact report in a worker thread of this process (it fits several models). */
export async function impactReportInThread(location: string, options: ImpactOptions): Promise<ImpactReport> {
  const reply = await runInWorker<ReportWorkerRequest, ReportWorkerReply>(
    new URL('./report-worker.ts', import.meta.url),
    { location, kind: 'impact', options },
    { name: 'impact-report' },
  );
  if (!reply.ok) throw new MovieNightError(`impact report: ${reply.error}`, reply.code, reply.status);
  return reply.data as ImpactReport;
}

/**
 * The impact report as a job: with a queue, the server asks a worker for it instead of fitting
 * the models beside the requests it serves. The worker fits in a thread, so the job's lock keeps
 * being renewed; the report's plain data is the job's result.
 */
export const impactReportJob = defineJobKind<ImpactOptions, ImpactReport>({
  name: 'impact-report',
  lane: 'jobs',
  async run(options, context) {
    await context.progress({ step: 'fitting', percent: 0 });
    const report = await impactReportInThread(context.location, options);
    await context.progress({ step: 'done', percent: 100 });
    return report;
  },
});
