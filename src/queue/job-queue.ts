import { createRequire } from 'node:module';
import {
  createPostgresBackend,
  type Job,
  type JobsOptions,
  Queue,
  QueueEvents,
  UnrecoverableError,
  Worker,
} from 'bullmq';
import { errorFromKind, InvalidInputError, MovieNightError } from '../errors.ts';
import type { JobContext, JobKind, JobLane, JobRegistry } from './job-kind.ts';
import type { QueueUrl } from './queue-url.ts';

/** How to reach the queue and name it. */
export interface JobQueueOptions {
  readonly url: QueueUrl;
  /** Names the two queues `<prefix>-trials` and `<prefix>-jobs`. */
  readonly prefix: string;
  /** A job whose worker stopped renewing its lock for this long is taken again, ms. */
  readonly lockMs: number;
}

/** One worker process's hold on the queues; close() lets its running jobs finish first. */
export interface JobWorkers {
  close(): Promise<void>;
}

type AnyQueue = Queue;
type Connection = { readonly connection: never };

/**
 * The BullMQ side of MovieNight: one queue per lane on Redis or on PostgreSQL, and the workers
 * that take their jobs. Jobs carry ids and parameters only; what a job did is recorded in our own
 * tables by its handler, so the queue can lose finished jobs without losing any record.
 */
export class JobQueue {
  private readonly queues = new Map<JobLane, AnyQueue>();
  private readonly events = new Map<JobLane, Promise<QueueEvents>>();

  private constructor(private readonly options: JobQueueOptions) {}

  /** Connects (running BullMQ's PostgreSQL migrations when the backend is PostgreSQL). */
  static async open(options: JobQueueOptions): Promise<JobQueue> {
    if (options.url.backend === 'redis') requireIoRedis();
    const queue = new JobQueue(options);
    await Promise.all((['trials', 'jobs'] as const).map((lane) => queue.queue(lane).waitUntilReady()));
    return queue;
  }

  get url(): QueueUrl {
    return this.options.url;
  }

  /** How this queue was opened: plain data, so a worker thread can open the same queue. */
  get settings(): JobQueueOptions {
    return this.options;
  }

  /** The BullMQ queue of a lane (for bull-board and counts). */
  queue(lane: JobLane): AnyQueue {
    let q = this.queues.get(lane);
    if (!q) {
      q = construct<AnyQueue>(Queue, this.name(lane), this.connection(), this.options.url);
      this.queues.set(lane, q);
    }
    return q;
  }

  name(lane: JobLane): string {
    return `${this.options.prefix}-${lane}`;
  }

  /** Enqueues one job; a `jobId` makes the add idempotent (a second add of the same id is ignored). */
  async add<P>(kind: JobKind<P>, payload: P, options: JobsOptions = {}): Promise<Job> {
    return this.queue(kind.lane).add(kind.name, payload, { ...defaultJobOptions, ...options });
  }

  /**
   * Enqueues one job and waits for its result. A job that failed for good rejects with its reason;
   * one that failed with one of our typed errors rejects with that kind again (a refusal raised in
   * the worker answers 400/404/409 as it would have without a queue, and the CLI exits 2).
   */
  async run<P, R>(kind: JobKind<P, R>, payload: P, options: JobsOptions = {}): Promise<R> {
    const events = await this.queueEvents(kind.lane);
    const job = await this.add(kind, payload, options);
    try {
      return (await job.waitUntilFinished(events)) as R;
    } catch (error) {
      throw typedFailure((error as Error).message) ?? error;
    }
  }

  /**
   * A job scheduler: the queue makes one job of `kind` every `everyMs`, however many workers and
   * processes ask for it (the scheduler's id makes the upsert idempotent).
   */
  async schedule<P>(id: string, kind: JobKind<P>, payload: P, everyMs: number): Promise<void> {
    await this.queue(kind.lane).upsertJobScheduler(
      id,
      { every: everyMs },
      { name: kind.name, data: payload, opts: defaultJobOptions },
    );
  }

  /**
   * Takes jobs of every kind in `registry`: up to `concurrency` trials at once and one other job
   * at a time, each lane on its own BullMQ worker so a retrain waiting for its trials never holds
   * the slot a trial needs.
   */
  startWorkers(
    registry: JobRegistry,
    context: Omit<JobContext, 'progress' | 'queue'>,
    concurrency: number,
  ): JobWorkers {
    const workers = (['trials', 'jobs'] as const).map((lane) => {
      const processor = async (job: Job) => {
        const kind = registry.get(job.name);
        if (!kind || kind.lane !== lane)
          throw new UnrecoverableError(`no job kind ${job.name} on the ${lane} queue`);
        try {
          return await kind.run(job.data, {
            ...context,
            queue: this,
            progress: (value) => job.updateProgress(value as object),
          });
        } catch (error) {
          throw error instanceof MovieNightError ? typedFailureError(error) : error;
        }
      };
      return construct<Worker>(Worker, this.name(lane), this.connection(), this.options.url, processor, {
        concurrency: lane === 'trials' ? concurrency : 1,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.lockMs,
        maxStalledCount: 2,
      });
    });
    return {
      close: async () => {
        await Promise.all(workers.map((w) => w.close()));
      },
    };
  }

  async close(): Promise<void> {
    const events = await Promise.all(this.events.values());
    await Promise.all(events.map((e) => e.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private queueEvents(lane: JobLane): Promise<QueueEvents> {
    let events = this.events.get(lane);
    if (!events) {
      const created = construct<QueueEvents>(
        QueueEvents,
        this.name(lane),
        this.connection(),
        this.options.url,
      );
      events = created.waitUntilReady().then(() => created);
      this.events.set(lane, events);
    }
    return events;
  }

  private connection(): Connection {
    return { connection: connectionOf(this.options.url) as never };
  }
}

/**
 * The queue keeps a failed job's reason as one string, so a typed error travels as its message
 * behind a marker naming its code and status: `[conflict 409] another retrain is running …`
 * (bull-board shows it so). A refusal is final: it fails the job without retries.
 */
function typedFailureError(error: MovieNightError): UnrecoverableError {
  return new UnrecoverableError(`[${error.code} ${error.status}] ${error.message}`);
}

/** The typed error behind a failed job's reason, or null when the reason carries none. */
function typedFailure(reason: string): MovieNightError | null {
  const m = /^\[([a-z_]+) (\d{3})\] ([\s\S]*)$/.exec(reason);
  if (!m) return null;
  return errorFromKind({ code: m[1]!, status: Number(m[2]), message: m[3]! });
}

/** Finished jobs are kept a while for bull-board, then dropped: our tables keep the record. */
const defaultJobOptions: JobsOptions = {
  attempts: 1,
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ's connection option for a queue URL. */
function connectionOf(url: QueueUrl): unknown {
  if (url.backend === 'postgres') return { connectionString: url.url, migrate: true };
  const u = new URL(url.url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Builds a BullMQ class on the URL's backend. The classes are generic over backend and connection
 * types; this one place casts, so callers see plain `Queue` / `Worker` / `QueueEvents`.
 */
function construct<T>(Ctor: unknown, name: string, base: Connection, url: QueueUrl, ...rest: unknown[]): T {
  const C = Ctor as new (...args: unknown[]) => T & { setMaxListeners(n: number): unknown };
  const backend = url.backend === 'postgres' ? createPostgresBackend : undefined;
  const [processor, options] = rest;
  const made =
    rest.length === 0
      ? new C(name, { ...base }, backend)
      : new C(name, processor, { ...base, ...(options as object) }, backend);
  // Every job waited for adds a listener until it ends; a run may wait for many at once.
  made.setMaxListeners(0);
  return made;
}

/** BullMQ's Redis backend loads `ioredis` itself; say plainly when it is not installed. */
function requireIoRedis(): void {
  try {
    createRequire(createRequire(import.meta.url).resolve('bullmq')).resolve('ioredis');
  } catch {
    throw new InvalidInputError(
      'a redis:// queue needs the ioredis package (BullMQ loads it for Redis), which is not installed; install it, or use a postgres:// queue',
    );
  }
}
