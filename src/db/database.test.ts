import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { placeholdersToPostgres } from './database.ts';
import { currentSchemaVersion, latestSchemaVersion, migrate } from './migrate.ts';
import { openDatabase } from './open-database.ts';

it('rewrites placeholders outside quotes only', () => {
  expect(placeholdersToPostgres('SELECT ? , \'?\' , "a?" , ?')).toBe('SELECT $1 , \'?\' , "a?" , $2');
});

describeEachDatabase('database contract', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => {
    await t.drop();
  });

  it('is migrated to the latest schema version', async () => {
    expect(await currentSchemaVersion(t.db)).toBe(latestSchemaVersion);
    const again = await migrate(t.db);
    expect(again.every((r) => !r.applied)).toBe(true);
  });

  it('runs queries with placeholders, RETURNING and upserts', async () => {
    await t.db.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1000]);
    await t.db.run('INSERT INTO movies (id, title, year, genres) VALUES (?, ?, ?, ?)', [
      10,
      'A, b',
      1999,
      'Drama',
    ]);
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at',
      [1, 10, 3.5, 5],
    );
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at',
      [1, 10, 4.5, 6],
    );
    const rows = await t.db.all<{ rating: number; rated_at: number }>('SELECT rating, rated_at FROM ratings');
    expect(rows).toEqual([{ rating: 4.5, rated_at: 6 }]);
    const served = await t.db.get<{ id: number }>(
      'INSERT INTO served_recommendations (user_id, movie_id, predicted_rating, rank, served_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [1, 10, 4.1, 1, Date.now()],
    );
    expect(typeof served?.id).toBe('number');
  });

  it('inserts many rows and counts them', async () => {
    const users = Array.from({ length: 25_000 }, (_, i) => [i + 1, i] as const);
    expect(await t.db.insertMany('users', ['id', 'created_at'], users)).toBe(25_000);
    const n = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    expect(Number(n?.n)).toBe(25_000);
  });

  it('rolls a failed transaction back whole', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1]);
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1]);
      }),
    ).rejects.toThrow();
    const n = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    expect(Number(n?.n)).toBe(0);
  });

  it('enforces foreign keys', async () => {
    await expect(
      t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)', [9, 9, 3, 0]),
    ).rejects.toThrow();
  });

  it('stores and returns binary data unchanged', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 128]);
    await t.db.run(
      "INSERT INTO model_versions (version, model_kind, params, train_rows, data_fingerprint, artifact, status, reason, created_at) VALUES (1, 'svd', '{}', 0, 'x', ?, 'ready', 'manual', 0)",
      [bytes],
    );
    const row = await t.db.get<{ artifact: Uint8Array }>('SELECT artifact FROM model_versions');
    expect(new Uint8Array(row!.artifact)).toEqual(bytes);
  });

  it('refuses a database whose schema is newer than the program', async () => {
    await t.db.run('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
      latestSchemaVersion + 1,
      'from the future',
      0,
    ]);
    await expect(openDatabase(t.location)).rejects.toThrow(/newer than this MovieNight understands/);
  });
});
