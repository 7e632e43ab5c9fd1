import { afterEach, beforeEach, expect, it } from 'vitest';
import { seedCatalogue } from '../../test/helpers/live-fixtures.ts';
import type { Database, Queryable } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';
import { qualityStore } from '../monitoring/sql-quality-store.ts';
import { countedTables, type ReportStore } from './report-store.ts';

/**
 * The contract every ReportStore passes (on SQLite and PostgreSQL): counts are exact and zero on
 * an empty database; the schema version is the newest migration.
 */
export function runReportStoreContract(
  make: () => Promise<{ db: Database; storeOn: (q: Queryable) => ReportStore; drop(): Promise<void> }>,
): void {
  let db: Database;
  let store: ReportStore;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    const made = await make();
    db = made.db;
    store = made.storeOn(db);
    drop = made.drop;
  });
  afterEach(async () => drop());

  it('counts nothing on an empty database and knows its schema version', async () => {
    const counts = await store.rowCounts(countedTables);
    expect(Object.keys(counts).sort()).toEqual([...countedTables].sort());
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect(await store.schemaVersion()).toBe(Math.max(...migrations.map((m) => m.version)));
    expect(await store.ratingsPerMovie()).toEqual(new Map());
    expect(await store.unexpectedTracked()).toBe(0);
    expect(await store.retrainCounts()).toEqual({ autoTriggers: 0, succeeded: 0 });
  });

  it('counts rows, ratings per movie, unexpected tracked ratings and retrains', async () => {
    await seedCatalogue(db, 3);
    const q = qualityStore(db);
    for (const u of [1, 2]) await q.ensureUser(u, 0);
    await q.upsertRating(1, 1, 4, 10);
    await q.upsertRating(2, 1, 3, 10);
    await q.upsertRating(2, 3, 5, 10);
    const tracked = { modelVersion: null, abTestId: null, arm: null, predictedRating: null, error: null };
    const rest = { likedPredicted: null, hit: null, servedAt: null, ratedAt: 10, recordedAt: 10 };
    await q.recordQuality({
      ...tracked,
      ...rest,
      userId: 1,
      movieId: 1,
      unexpected: true,
      actualRating: 4,
      likedActual: true,
    });
    await q.recordQuality({
      ...tracked,
      ...rest,
      userId: 2,
      movieId: 3,
      unexpected: true,
      actualRating: 5,
      likedActual: true,
    });
    const trigger = (source: string, status: string) => [source, 'why', status, 1] as const;
    await db.insertMany(
      'retrain_triggers',
      ['source', 'reason', 'status', 'triggered_at'],
      [
        trigger('auto', 'succeeded'),
        trigger('auto', 'failed'),
        trigger('manual', 'succeeded'),
        trigger('manual', 'pending'),
      ],
    );
    expect(await store.rowCounts(['movies', 'users', 'ratings', 'retrain_triggers'])).toEqual({
      movies: 3,
      users: 2,
      ratings: 3,
      retrain_triggers: 4,
    });
    expect(await store.ratingsPerMovie()).toEqual(
      new Map([
        [1, 2],
        [3, 1],
      ]),
    );
    expect(await store.unexpectedTracked()).toBe(2);
    expect(await store.retrainCounts()).toEqual({ autoTriggers: 2, succeeded: 2 });
  });
}
