import type { Config } from '../config.ts';
import type { CatalogStore } from '../data/catalog-store.ts';
import type { Database } from '../db/database.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { BackgroundJobs } from './background-jobs.ts';
import type { ServerExplanations } from './explanations.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';
import type { ServerMetrics } from './metrics.ts';
import type { MovieStatsCache } from './movie-stats-cache.ts';
import type { TuningJobs } from './tuning-jobs.ts';

/** What every route handler can reach: the database, the config, and the server's own state. */
export interface ServerContext {
  readonly db: Database;
  /** Movies, users and ratings. */
  readonly catalog: CatalogStore;
  readonly config: Config;
  readonly adminToken: string;
  readonly metrics: ServerMetrics;
  /** Per-client request counts, shared by every server process through the database. */
  readonly limiter: RateLimiter;
  /** Retrains and tuning runs started from the API. */
  readonly background: BackgroundJobs;
  /** Averages and counts shown beside recommendations, re-read every couple of seconds. */
  readonly movieStats: MovieStatsCache;
  /** The reason shown beside each recommendation. */
  readonly explanations: ServerExplanations;
  /** Tuning runs started from the API (they run as background jobs). */
  readonly tuning: TuningJobs;
  /**
   * Where the database is, for worker threads that open their own connection (training must not
   * block the thread that serves requests). Undefined for an in-memory database: work then runs
   * in this thread.
   */
  readonly workerLocation: string | undefined;
  /** The job queue retrains and tuning trials go to, or null: they run in this process. */
  readonly queue: JobQueue | null;
  /** How stale the cached champion / running test may be when serving (default 1000). */
  readonly servingStalenessMs?: number;
  /** The clock (tests pass a fixed one). */
  now(): number;
}
