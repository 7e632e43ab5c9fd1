// Runs one retrain in a worker thread, so the process that serves recommendations (server or
// `movienight worker`) keeps answering while a model trains. The thread opens its own database
// connection from the location it is given: connections cannot cross threads.
import type { Config } from '../config.ts';
import { openDatabase } from '../db/open-database.ts';
import { type ErrorKind, errorKindOf } from '../errors.ts';
import { JobQueue, type JobQueueOptions } from '../queue/job-queue.ts';
import { connectToParent } from '../threads/worker-thread.ts';
import { type RetrainResult, runRetrain } from './retrain-orchestrator.ts';

export interface RetrainWorkerRequest {
  readonly location: string;
  readonly config: Config;
  readonly triggerId: number;
  readonly holder: string;
  /** The job queue the tune step's trials go to; this thread opens it for itself. */
  readonly queue?: JobQueueOptions;
}

export type RetrainWorkerReply =
  | { readonly ok: true; readonly result: RetrainResult }
  | { readonly ok: false; readonly error: ErrorKind };

const port = connectToParent<RetrainWorkerRequest, RetrainWorkerReply>();
port.onMessage((request) => {
  void (async () => {
    const db = await openDatabase(request.location);
    let queue: JobQueue | null = null;
    try {
      queue = request.queue ? await JobQueue.open(request.queue) : null;
      const result = await runRetrain(db, request.config, {
        triggerId: request.triggerId,
        holder: request.holder,
        ...(queue ? { queue } : {}),
      });
      port.post({ ok: true, result });
    } catch (error) {
      // A refusal stays a refusal (its kind and status) across the thread.
      port.post({ ok: false, error: errorKindOf(error) });
    } finally {
      await queue?.close();
      await db.close();
    }
  })();
});
