// Computes a report in a worker thread: the impact report fits several models, which would stop
// the serving thread for seconds. The thread opens its own connection (connections cannot cross
// threads) and posts back the plain data.
import { openDatabase } from '../db/open-database.ts';
import { MovieNightError } from '../errors.ts';
import { type ImpactOptions, impactReport } from '../reports/impact-report.ts';
import { connectToParent } from '../threads/worker-thread.ts';

export interface ReportWorkerRequest {
  readonly location: string;
  readonly kind: 'impact';
  readonly options: ImpactOptions;
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
      port.post({ ok: true, data: await impactReport(db, request.options) });
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
