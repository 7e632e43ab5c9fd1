import type { Database } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { type RunTuningOptions, runTuning, type TuningProgress } from '../tuning/run-tuning.ts';
import type { BackgroundJobs } from './background-jobs.ts';

/**
 * Tuning runs started from the API. The run itself is runTuning: trials are cross-validated in
 * worker threads and every trial is stored as it starts and ends, so progress and results are read
 * from the database (and survive a restart: `tune --resume <id>` continues a run this server was
 * running when it stopped). This only remembers what it needs to stop a run and to answer "how far"
 * between two trials.
 */
export class TuningJobs {
  private readonly active = new Map<
    string,
    { controller: AbortController; progress: TuningProgress | null }
  >();

  constructor(
    private readonly db: Database,
    private readonly background: BackgroundJobs,
    /** With a queue, the runs' trials are jobs that `movienight worker` processes take. */
    private readonly queue: JobQueue | null = null,
  ) {}

  /** Starts a run in the background; resolves with its id once the run exists. */
  start(options: Omit<RunTuningOptions, 'signal' | 'onProgress' | 'onRunCreated'>): Promise<string> {
    const controller = new AbortController();
    return new Promise<string>((resolve, reject) => {
      let created = false;
      this.background.start('tuning', async () => {
        let runId: string | null = null;
        try {
          await runTuning(this.db, {
            ...options,
            ...(this.queue ? { queue: this.queue } : {}),
            signal: controller.signal,
            onRunCreated: (run) => {
              runId = run.id;
              created = true;
              this.active.set(run.id, { controller, progress: null });
              resolve(run.id);
            },
            onProgress: (progress) => {
              const entry = this.active.get(progress.runId);
              if (entry) entry.progress = progress;
            },
          });
        } catch (error) {
          // Before the run exists the caller hears the error (bad options); after, it is in the run.
          if (!created) reject(error);
          else throw error;
        } finally {
          if (runId) this.active.delete(runId);
        }
      });
    });
  }

  /** The last progress report of a run this server is running, if it is. */
  progress(runId: string): { running: boolean; progress: TuningProgress | null } {
    const entry = this.active.get(runId);
    return { running: entry !== undefined, progress: entry?.progress ?? null };
  }

  /** Stops a run this server started (in-flight trials are stored failed; the run is `interrupted`). */
  stop(runId: string): void {
    const entry = this.active.get(runId);
    if (!entry) throw new ConflictError(`tuning run ${runId} is not running in this server`);
    entry.controller.abort();
  }

  /** Stops every run (server shutdown); their trials so far stay stored. */
  stopAll(): void {
    for (const entry of this.active.values()) entry.controller.abort();
  }
}
