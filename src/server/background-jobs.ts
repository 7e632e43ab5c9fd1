/**
 * Work the server starts and does not wait for in the request (a retrain, a tuning run). Each job
 * is remembered until it settles, so shutting down can wait for them, and their errors are logged
 * instead of becoming unhandled rejections. What a job did is recorded in the database by the job
 * itself (triggers, tuning runs), which is what the API reports; this list is only bookkeeping.
 */
export class BackgroundJobs {
  private readonly running = new Map<number, { name: string; promise: Promise<void> }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly log: (message: string) => void = (m) => console.error(m)) {}

  /** Starts `fn` now; returns at once. Refused after close(). */
  start(name: string, fn: () => Promise<unknown>): void {
    if (this.closed) throw new Error(`server is shutting down; ${name} was not started`);
    const id = this.nextId++;
    const promise = Promise.resolve()
      .then(fn)
      .then(
        () => undefined,
        (error: unknown) => this.log(`${name} failed: ${(error as Error)?.message ?? String(error)}`),
      )
      .finally(() => this.running.delete(id));
    this.running.set(id, { name, promise });
  }

  /** Names of the jobs still running. */
  names(): string[] {
    return [...this.running.values()].map((j) => j.name);
  }

  /** Waits for every running job (they record their own progress, so waiting is safe). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((j) => j.promise));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
