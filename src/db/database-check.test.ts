import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { importMovieLens } from '../data/import-movielens.ts';
import { checkDatabase } from './database-check.ts';
import { describeSchema } from './database-schema.ts';
import { latestSchemaVersion } from './migrate.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

const fixtures = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

describeEachDatabase('db schema / db check', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
  });
  afterEach(async () => t.drop());

  it('lists tables with columns, indexes, row counts and the schema version', async () => {
    const s = await describeSchema(t.db);
    expect(s.schemaVersion).toBe(latestSchemaVersion);
    expect(s.dialect).toBe(kind.name);
    const ratings = s.tables.find((x) => x.name === 'ratings');
    expect(ratings?.rows).toBe(7);
    expect(ratings?.columns.map((c) => c.name)).toEqual(['user_id', 'movie_id', 'rating', 'rated_at']);
    expect(ratings?.columns.find((c) => c.name === 'user_id')?.primaryKey).toBe(true);
    expect(ratings?.indexes.find((i) => i.name === 'ratings_movie')?.columns).toEqual(['movie_id', 'rating']);
    expect(s.tables.find((x) => x.name === 'movies')?.rows).toBe(5);
    for (const name of [
      'users',
      'served_recommendations',
      'hp_experiments',
      'hp_tuning_history',
      'model_versions',
      'recommendation_quality',
      'ab_tests',
      'schema_version',
    ]) {
      expect(s.tables.map((x) => x.name)).toContain(name);
    }
  });

  it('passes a healthy database and finds orphan rows of an undeclared reference', async () => {
    expect((await checkDatabase(t.db)).ok).toBe(true);
    await t.db.run(
      'INSERT INTO served_recommendations (user_id, movie_id, model_version, predicted_rating, rank, served_at) VALUES (1, 1, 42, 4, 1, 0)',
    );
    const r = await checkDatabase(t.db);
    expect(r.ok).toBe(false);
    const failed = r.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual([
      'orphans served_recommendations.model_version → model_versions.version',
    ]);
    expect(failed[0]?.detail).toBe('1 rows name a missing model_versions row');
  });

  it.skipIf(kind.name !== 'sqlite')(
    'finds a rating whose user is missing (foreign keys off) on SQLite',
    async () => {
      const raw = (t.db as SqliteDatabase).raw;
      raw.pragma('foreign_keys = OFF');
      raw.prepare('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (999, 1, 9, 0)').run();
      raw.pragma('foreign_keys = ON');
      const r = await checkDatabase(t.db);
      const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
      expect(failed).toEqual(['foreign_key_check', 'orphans ratings.user_id → users.id', 'ratings in range']);
    },
  );
});
