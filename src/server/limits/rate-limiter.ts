import type { Database, Queryable } from '../../db/database.ts';
import { MovieNightError } from '../../errors.ts';
import { SqlRateLimitStore } from './rate-limit-store.ts';

/** Too many requests from one client in the current window: 429 with Retry-After. */
export class RateLimitedError extends MovieNightError {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(`too many requests ${what}; try again in ${seconds} s`, 'rate_limited', 429);
    this.retryAfterSeconds = seconds;
  }
}

export interface RateLimitRule {
  /** Requests allowed per window; 0 means no limit. */
  readonly limit: number;
  readonly windowMs: number;
}

interface LocalCount {
  readonly key: string;
  readonly window: number;
  /** The total the database last reported for the window (every process's hits). */
  shared: number;
  /** Hits taken here since the last flush. */
  pending: number;
}

/**
 * Fixed-window request limits per client key, shared by every process through the database.
 * Writing a row per request would cost every request a write (halving the rating throughput), so
 * each process adds its hits in batches: every `flushMs` (or when one key gathers `flushEvery`
 * hits) one transaction adds every key's new hits to its row and reads back the total every
 * process has added; a process that refuses a client writes its batch at once. A client can
 * overshoot a limit by at most one batch per process before every process refuses it.
 */
export class RateLimiter {
  private readonly counts = new Map<string, LocalCount>();
  private readonly store: (db: Queryable) => SqlRateLimitStore = (db) => new SqlRateLimitStore(db);
  private lastFlush = Number.NEGATIVE_INFINITY;
  private flushing: Promise<void> | undefined;
  private lastPrune = 0;

  constructor(
    private readonly db: Database,
    private readonly flushMs = 500,
    private readonly flushEvery = 32,
    /** Keys tracked at once in memory; beyond it every window is forgotten. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one request for `key`; throws RateLimitedError when the key is over its rule. */
  async take(key: string, rule: RateLimitRule, now: number, what: string): Promise<void> {
    if (rule.limit <= 0) return;
    const window = Math.floor(now / rule.windowMs) * rule.windowMs;
    const count = this.entry(key, window);
    if (count.shared + count.pending >= rule.limit) {
      // What this process let through must reach the others now: they refuse the client too.
      if (count.pending > 0) await this.flush(now, rule.windowMs);
      throw new RateLimitedError(what, window + rule.windowMs - now);
    }
    count.pending += 1;
    const due =
      performance.now() - this.lastFlush >= this.flushMs ||
      count.pending >= Math.min(this.flushEvery, rule.limit);
    if (due) await this.flush(now, rule.windowMs);
  }

  private entry(key: string, window: number): LocalCount {
    const id = `${key}@${window}`;
    let count = this.counts.get(id);
    if (!count) {
      if (this.counts.size >= this.maxKeys) this.counts.clear();
      count = { key, window, shared: 0, pending: 0 };
      this.counts.set(id, count);
    }
    return count;
  }

  /** Writes every key's pending hits in one transaction; one flush at a time. */
  private async flush(now: number, windowMs: number): Promise<void> {
    if (this.flushing) return this.flushing;
    this.lastFlush = performance.now();
    this.flushing = this.write(now, windowMs).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(now: number, windowMs: number): Promise<void> {
    // In key order: replicas that flush the same keys at once then lock their rows in the same
    // order. In each process's own order, two flushes waited for each other (PostgreSQL: deadlock
    // detected, a 500 for the request that flushed).
    const batch = [...this.counts.values()]
      .filter((c) => c.pending > 0)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.window - b.window));
    const hits = batch.map((c) => c.pending);
    for (const c of batch) c.pending = 0;
    const prune = now - this.lastPrune >= 60_000;
    if (prune) this.lastPrune = now;
    await this.db.transaction(async (tx) => {
      const store = this.store(tx);
      for (const [i, c] of batch.entries()) c.shared = await store.addHits(c.key, c.window, hits[i]!);
      if (prune) await store.deleteWindowsBefore(now - 2 * Math.max(windowMs, 3_600_000));
    });
    for (const [id, c] of this.counts) {
      if (c.window + 2 * Math.max(windowMs, 3_600_000) < now) this.counts.delete(id);
    }
  }
}
