import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import type { JobQueue } from './job-queue.ts';

/** What a job's handler gets besides its payload. */
export interface JobContext {
  readonly db: Database;
  /** The database location with its password, for worker threads that open their own connection. */
  readonly location: string;
  readonly config: Config;
  /** The queue itself, for a job that enqueues others (a retrain that tunes, a check that triggers). */
  readonly queue: JobQueue;
  /** Trials this worker process evaluates at once (its worker-thread pool). */
  readonly concurrency: number;
  /** Reports the job's progress (0–100, or a small record), shown by bull-board and the dashboard. */
  progress(value: number | Readonly<Record<string, unknown>>): Promise<void>;
  /** A name of this process, for locks and logs. */
  readonly holder: string;
}

/**
 * One kind of job: its name on the queue and what a worker does with its payload. The result is
 * stored with the job (BullMQ's return value); the record of the work stays in our own tables.
 */
export interface JobKind<P = unknown, R = unknown> {
  readonly name: string;
  /** `trials` for tuning trials (many at once), `jobs` for everything else (one at a time). */
  readonly lane: JobLane;
  run(payload: P, context: JobContext): Promise<R>;
}

/** The two queues: trials are many and short; retrains, reports and checks are few and long. */
export type JobLane = 'trials' | 'jobs';

export const jobLanes: readonly JobLane[] = ['trials', 'jobs'];

/** An explicit name → kind map (nothing registers itself on import). */
export type JobRegistry = ReadonlyMap<string, JobKind>;

/** Builds the registry from a list of kinds; two kinds of one name are a programming error. */
export function createJobRegistry(kinds: readonly JobKind[]): JobRegistry {
  const map = new Map<string, JobKind>();
  for (const kind of kinds) {
    if (map.has(kind.name)) throw new InvalidInputError(`two job kinds are named ${kind.name}`);
    map.set(kind.name, kind);
  }
  return map;
}

/** A kind's payload and result types, without `unknown` at the call site. */
export function defineJobKind<P, R>(kind: JobKind<P, R>): JobKind<P, R> {
  return kind;
}
