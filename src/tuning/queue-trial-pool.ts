import type { JobQueue } from '../queue/job-queue.ts';
import type { TrialResult } from './trial-evaluation.ts';
import { tuningTrialJob } from './trial-job.ts';
import type { TrialPool } from './trial-pool.ts';

/**
 * Trials as jobs on the queue: `run` enqueues one and resolves with the result a worker sent
 * back. A job that failed for good becomes a failed trial; when its workers died under it (it
 * stalled more often than BullMQ allows) the reason starts with `interrupted:`, so the run retries
 * the configuration, as it does for a worker thread that died.
 */
export function createQueueTrialPool(queue: JobQueue, runId: string, size: number): TrialPool {
  return {
    size,
    async run(task): Promise<TrialResult> {
      const started = performance.now();
      try {
        return await queue.run(tuningTrialJob, { runId, task });
      } catch (error) {
        const message = (error as Error).message;
        return {
          number: task.number,
          state: 'failed',
          error: /stalled/i.test(message) ? `interrupted: queue job ${message}` : message,
          intermediateValues: [],
          durationMs: performance.now() - started,
        };
      }
    },
    close: async () => {},
  };
}
