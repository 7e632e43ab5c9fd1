import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from './open-database.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/**
 * The hot queries use the indexes the migrations made for them (SQLite's plans). A migration
 * that drops or narrows an index (008 made served_ab partial) must not leave one of them scanning.
 */
let dir: string;
let db: SqliteDatabase;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'movienight-plans-'));
  db = (await openDatabase(join(dir, 'movies.db'))) as SqliteDatabase;
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const plan = (sql: string, params: unknown[]) =>
  (db.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
    .map((r) => r.detail)
    .join('; ');

it('the tracker finds the served row by user and movie', () => {
  expect(
    plan(
      `SELECT id FROM served_recommendations WHERE user_id = ? AND movie_id = ? AND served_at <= ? AND served_at >= ?
       ORDER BY served_at DESC, id DESC LIMIT 1`,
      [1, 2, 3, 4],
    ),
  ).toMatch(/USING (COVERING )?INDEX served_user_movie/);
});

it('A/B counts use the partial served_ab index', () => {
  expect(
    plan(
      'SELECT arm, COUNT(DISTINCT user_id) AS users, COUNT(*) AS served FROM served_recommendations WHERE ab_test_id = ? GROUP BY arm',
      [1],
    ),
  ).toMatch(/USING (COVERING )?INDEX served_ab/);
});

it("a user's history and its fingerprint read one key range of the table, in key order", () => {
  // The table is ordered by (user, movie): a user's rows are contiguous and carry every column.
  expect(plan('SELECT movie_id, rating, rated_at FROM ratings WHERE user_id = ?', [1])).toBe(
    'SEARCH ratings USING PRIMARY KEY (user_id=?)',
  );
  expect(
    plan(
      'SELECT COUNT(*) AS n, SUM(movie_id * rating) AS pairs, MAX(rated_at) AS newest, SUM(rated_at) AS stamps FROM ratings WHERE user_id = ?',
      [1],
    ),
  ).toBe('SEARCH ratings USING PRIMARY KEY (user_id=?)');
  // A scan for training reads the table in its order, with no sort.
  expect(plan('SELECT user_id, movie_id, rating, rated_at FROM ratings ORDER BY user_id, movie_id', [])).toBe(
    'SCAN ratings',
  );
});

it("a movie's average and count read only the movie index", () => {
  expect(
    plan(
      'SELECT movie_id, AVG(rating) AS average, COUNT(*) AS n FROM ratings WHERE movie_id IN (?, ?) GROUP BY movie_id',
      [1, 2],
    ),
  ).toMatch(/USING COVERING INDEX ratings_movie/);
});
