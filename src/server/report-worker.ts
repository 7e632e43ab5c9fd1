// Computes a report in a worker thread: reports read whole tables and the impact report fits
// several models, which would stop the serving thread for seconds. The thread opens its own
// connection (connections cannot cross threads) and posts back the plain data, charts or page.
import { openDatabase } from '../db/open-database.ts';
import { MovieNightError } from '../errors.ts';
import { connectToParent } from '../threads/worker-thread.ts';
import { computeReport, type ReportRequest } from './report-compute.ts';

export interface ReportWorkerRequest extends ReportRequest {
  readonly location: string;
}

export type ReportWorkerReply =
  | { readonly ok: true; readonly data: unknown }
  /** The error's code and status travel too: a refusal (4xx) must stay a refusal across the thread. */
  | { readonly ok: false; readonly error: string; readonly code: string; readonly status: number };

const port = connectToParent<ReportWorkerRequest, ReportWorkerReply>();
port.onMessage((request) => {
  void (async () => {
    const db = await openDatabase(request.location);
    try {
      port.post({ ok: true, data: await computeReport(db, request) });
    } catch (error) {
      const e = error as Partial<MovieNightError> & Error;
      port.post({
        ok: false,
        error: e.message,
        code: e instanceof MovieNightError ? (e.code ?? 'error') : 'error',
        status: e instanceof MovieNightError ? (e.status ?? 500) : 500,
      });
    } finally {
      await db.close();
    }
  })();
});
