import type { Queryable } from '../../db/database.ts';

/**
 * Request counts per client key and fixed window, in the database so every server process shares
 * them (several replicas behind one address see one limit).
 */
export interface RateLimitStore {
  /** Adds `hits` to the key's count in the window starting at `windowStart`; returns the new total. */
  addHits(key: string, windowStart: number, hits: number): Promise<number>;
  /** The key's count in the window (0 when none). */
  hits(key: string, windowStart: number): Promise<number>;
  /** Removes windows that started before `before`; returns how many rows. */
  deleteWindowsBefore(before: number): Promise<number>;
}

/** The rate-limit store in SQL, on either database. */
export class SqlRateLimitStore implements RateLimitStore {
  constructor(private readonly db: Queryable) {}

  async addHits(key: string, windowStart: number, hits: number): Promise<number> {
    const row = await this.db.get<{ hits: number }>(
      `INSERT INTO rate_limit_hits (key, window_start, hits) VALUES (?, ?, ?)
       ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + excluded.hits
       RETURNING hits`,
      [key, windowStart, hits],
    );
    return row?.hits ?? hits;
  }

  async hits(key: string, windowStart: number): Promise<number> {
    const row = await this.db.get<{ hits: number }>(
      'SELECT hits FROM rate_limit_hits WHERE key = ? AND window_start = ?',
      [key, windowStart],
    );
    return row?.hits ?? 0;
  }

  async deleteWindowsBefore(before: number): Promise<number> {
    return (await this.db.run('DELETE FROM rate_limit_hits WHERE window_start < ?', [before])).changes;
  }
}
