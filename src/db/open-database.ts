import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { PostgresDatabase } from './postgres-database.ts';
import { SqliteDatabase, type SqliteSynchronous } from './sqlite-database.ts';

/** The database a command uses when none is named: `MOVIENIGHT_DATABASE_URL`, else ./movies.db. */
export function defaultDatabaseLocation(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOVIENIGHT_DATABASE_URL || './movies.db';
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  readonly migrate?: boolean;
  /**
   * SQLite: tune the connection for a long-running server (memory-mapped reads, the write-ahead
   * log checkpointed in the background; see SqliteDatabase). Ignored for PostgreSQL.
   */
  readonly serving?: boolean;
  /**
   * SQLite serving connections: run the thread that checkpoints the write-ahead log (default true).
   * Several processes serving one file need it in one of them only (`serve --workers N` keeps it
   * in the primary process); the log is shared, so one checkpointer copies every process's commits.
   */
  readonly backgroundCheckpoint?: boolean;
  /**
   * SQLite: `full` (default) syncs every commit, so an answered write survives an OS crash;
   * `normal` syncs only at checkpoints (faster, may lose the last commits on power loss).
   * Ignored for PostgreSQL, whose commits are durable by its own settings.
   */
  readonly synchronous?: SqliteSynchronous;
}

/** Opens SQLite (a path) or PostgreSQL (a postgres:// URL) and brings the schema up to date. */
export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Database> {
  let db: Database;
  if (isPostgresUrl(location)) {
    db = new PostgresDatabase(location);
  } else {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    db = new SqliteDatabase(location, {
      serving: options.serving ?? false,
      backgroundCheckpoint: options.backgroundCheckpoint ?? true,
      synchronous: options.synchronous ?? 'full',
    });
  }
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}
