import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { ServerMetrics } from './metrics.ts';
import type { TuningJobs } from './tuning-jobs.ts';

/** What every route handler can reach: the database, the config, and the server's own state. */
export interface ServerContext {
  readonly db: Database;
  readonly config: Config;
  readonly adminToken: string;
  readonly metrics: ServerMetrics;
  readonly tuningJobs: TuningJobs;
  /** The clock (tests pass a fixed one). */
  now(): number;
}
