import { type FileHandle, open } from 'node:fs/promises';

/**
 * Syncs SQLite's write-ahead log file to disk from the thread pool, off the event loop, and
 * shares one sync between every caller that asks while it is pending: a commit is durable once a
 * sync that began after it has finished, so callers that arrive while one runs wait for the next
 * (one sync for all of them), never for a sync that may have started before their commit.
 *
 * This is what `synchronous = FULL` does inside each COMMIT (sync the log before returning), moved
 * after it: the group commit answers its members only when the sync is done, while the event
 * loop goes on serving and the next group commits meanwhile. better-sqlite3's own sync would stop
 * the whole server for each commit (5 ms a sync on the test machine's disk).
 */
export class LogSync {
  private handle: FileHandle | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly path: string) {}

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.start();
      });
    this.next = next;
    return next;
  }

  private start(): Promise<void> {
    const run = (async () => {
      this.handle ??= await open(this.path, 'r');
      await this.handle.datasync();
    })().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.next]);
    await this.handle?.close();
    this.handle = null;
  }
}
