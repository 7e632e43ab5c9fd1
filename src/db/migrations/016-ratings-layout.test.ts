import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../../test/helpers/databases.ts';
import { migrate } from '../migrate.ts';
import { migrations } from './index.ts';

const rowsOf = (t: TestDatabase) =>
  t.db.all('SELECT user_id, movie_id, rating, rated_at FROM ratings ORDER BY user_id, movie_id');
const countsOf = (t: TestDatabase) => t.db.all('SELECT id, rating_count FROM movies ORDER BY id');

describeEachDatabase('migration 16: the layout of ratings', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create({ migrate: false });
    await migrate(
      t.db,
      migrations.filter((m) => m.version < 16),
    );
    for (const id of [1, 2, 3]) await t.db.run('INSERT INTO users (id, created_at) VALUES (?, 0)', [id]);
    for (const id of [10, 20, 30]) await t.db.run("INSERT INTO movies (id, title) VALUES (?, 'm')", [id]);
    // Inserted out of key order, as live ratings arrive.
    const rows: readonly (readonly [number, number, number, number])[] = [
      [3, 20, 4, 300],
      [1, 30, 2.5, 100],
      [2, 10, 5, 200],
      [1, 10, 3, 150],
      [3, 10, 1, 50],
    ];
    for (const [u, m, r, at] of rows) {
      await t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)', [
        u,
        m,
        r,
        at,
      ]);
    }
  });
  afterEach(async () => {
    await t.drop();
  });

  it('keeps every rating, count, index and trigger, and the foreign keys', async () => {
    const rows = await rowsOf(t);
    const counts = await countsOf(t);
    expect(counts).toEqual([
      { id: 10, rating_count: 3 },
      { id: 20, rating_count: 1 },
      { id: 30, rating_count: 1 },
    ]);
    const before = (await t.db.secondaryIndexes('ratings')).map((ix) => ix.name);
    expect(before).toContain('ratings_user_history');

    const applied = await migrate(t.db);
    expect(applied.filter((r) => r.applied).map((r) => r.version)[0]).toBe(16);

    expect(await rowsOf(t)).toEqual(rows);
    expect(await countsOf(t)).toEqual(counts);
    const after = (await t.db.secondaryIndexes('ratings')).map((ix) => ix.name);
    const movieIndex = (await t.db.secondaryIndexes('ratings')).find((ix) => ix.name === 'ratings_movie');
    expect(movieIndex?.sql.replace(/\s+/g, ' ')).toMatch(/\(movie_id, rating\)/);
    if (kind.name === 'sqlite') {
      expect(after).toEqual(before.filter((name) => name !== 'ratings_user_history'));
      const table = await t.db.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'ratings'");
      expect(table?.sql).toMatch(/WITHOUT ROWID$/);
    } else {
      expect(after).toEqual(before);
    }

    // The count triggers still run.
    await t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (2, 30, 4, 400)');
    await t.db.run('DELETE FROM ratings WHERE user_id = 3 AND movie_id = 10');
    expect(await countsOf(t)).toEqual([
      { id: 10, rating_count: 2 },
      { id: 20, rating_count: 1 },
      { id: 30, rating_count: 2 },
    ]);
    // The key and the foreign keys still hold.
    await expect(
      t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (2, 30, 1, 500)'),
    ).rejects.toThrow(/UNIQUE|unique|duplicate/);
    await expect(
      t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (2, 99, 1, 500)'),
    ).rejects.toThrow(/FOREIGN KEY|foreign key/);
    await expect(
      t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (9, 10, 1, 500)'),
    ).rejects.toThrow(/FOREIGN KEY|foreign key/);
  });
});
