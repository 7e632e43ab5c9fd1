import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { tableSnapshot as snapshot } from '../../test/fixtures/table-snapshot.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../../test/helpers/data-paths.ts';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { temporaryFolders } from '../../test/helpers/temp-dirs.ts';
import { describeSchema } from '../db/database-schema.ts';
import { DataFormatError } from '../errors.ts';
import { importMovieLens } from './import-movielens.ts';
import { loadMovies } from './load-movies.ts';

const tempDir = temporaryFolders();

const fixtures = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

/** A copy of the tiny ml-latest fixture with one line of ratings.csv (or movies.csv) replaced or added. */
function brokenCopy(file: 'ratings.csv' | 'movies.csv', line: number, text: string): string {
  const dir = tempDir('mn-import-');
  cpSync(join(fixtures, 'ml-latest-tiny'), dir, { recursive: true });
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  lines.splice(line - 1, 0, text);
  writeFileSync(join(dir, file), lines.join('\n'));
  return dir;
}

describeEachDatabase('importMovieLens', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => t.drop());

  it('imports ml-latest CSV: users, movies, ratings in epoch ms, titles with commas and accents', async () => {
    const s = await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
    expect(s.format).toBe('ml-latest');
    expect(s.users).toEqual({ seen: 3, inserted: 3 });
    expect(s.movies).toMatchObject({ read: 5, inserted: 5, updated: 0, unchanged: 0 });
    expect(s.ratings).toMatchObject({ read: 7, inserted: 7, updated: 0, unchanged: 0, skipped: 0 });
    const movies = await loadMovies(t.db);
    expect(movies.get(2)?.title).toBe('City of Lost Children, The (Cité des enfants perdus, La) (1995)');
    expect(movies.get(3)?.genres).toEqual(['Comedy', 'Romance']);
    const r = await t.db.get<{ rating: number; rated_at: number }>(
      'SELECT rating, rated_at FROM ratings WHERE user_id = 1 AND movie_id = 2',
    );
    expect(r).toEqual({ rating: 3.5, rated_at: 964981247000 });
    const u = await t.db.get<{ created_at: number }>('SELECT created_at FROM users WHERE id = 3');
    expect(u?.created_at).toBe(1306463578000);
  });

  it('reads CRLF like LF', async () => {
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
    const lf = await snapshot(t.db);
    const s = await importMovieLens(t.db, join(fixtures, 'ml-latest-crlf'));
    expect(s.ratings.unchanged).toBe(7);
    expect(await snapshot(t.db)).toEqual(lf);
  });

  it('imports ml-100k (ISO-8859-1) and ml-1m (ISO-8859-1, ::) folders', async () => {
    const a = await importMovieLens(t.db, join(fixtures, 'ml-100k-tiny'));
    expect(a.format).toBe('ml-100k');
    expect(a.ratings.inserted).toBe(5);
    expect((await loadMovies(t.db)).get(3)?.title).toBe('Café au lait');
    const b = await importMovieLens(t.db, join(fixtures, 'ml-1m-tiny'));
    expect(b.format).toBe('ml-1m');
    // Same movie ids, other titles: the 1m catalogue replaces the 100k one where it differs (Toy
    // Story is the same once "Children's" is spelled "Children").
    expect(b.movies).toMatchObject({ inserted: 0, updated: 2, unchanged: 1 });
    expect((await loadMovies(t.db)).get(3)?.title).toBe('Fête des pères (1999)');
  });

  it('is idempotent: importing the same folder twice changes nothing', async () => {
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
    const first = await snapshot(t.db);
    const s = await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
    expect(s.users.inserted).toBe(0);
    expect(s.movies).toMatchObject({ inserted: 0, updated: 0, unchanged: 5 });
    expect(s.ratings).toMatchObject({ inserted: 0, updated: 0, unchanged: 7 });
    expect(await snapshot(t.db)).toEqual(first);
  });

  it('counts new and changed ratings; a pair rated twice in a file keeps its last line', async () => {
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
    const added = await importMovieLens(t.db, brokenCopy('ratings.csv', 9, '3,1,1.5,1306463600'));
    expect(added.ratings).toMatchObject({ read: 8, inserted: 1, updated: 0, unchanged: 7 });
    const changed = await importMovieLens(t.db, brokenCopy('ratings.csv', 9, '1,1,2.0,964982703'));
    expect(changed.ratings).toMatchObject({ read: 8, inserted: 0, updated: 1, unchanged: 7 });
    const r = await t.db.get<{ rating: number }>(
      'SELECT rating FROM ratings WHERE user_id = 1 AND movie_id = 1',
    );
    expect(r?.rating).toBe(2);
  });

  it('refuses a line late in the file after thousands of rows were written, and rolls them all back', async () => {
    const dir = tempDir('mn-import-');
    writeFileSync(join(dir, 'movies.csv'), 'movieId,title,genres\n1,One (2001),Drama\n2,Two (2002),Comedy\n');
    const lines = ['userId,movieId,rating,timestamp'];
    for (let u = 1; u <= 12_000; u++) lines.push(`${u},${(u % 2) + 1},${(u % 5) + 1},${1_000_000 + u}`);
    lines.push('12001,3,4.0,1');
    writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
    const before = await snapshot(t.db);
    const error = await importMovieLens(t.db, dir).catch((e: unknown) => e);
    expect((error as DataFormatError).line).toBe(12_002);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('a bulk import rebuilds the secondary ratings indexes; a failed one leaves them as they were', async () => {
    const indexes = async () =>
      (await describeSchema(t.db)).tables
        .find((x) => x.name === 'ratings')
        ?.indexes.map((i) => `${i.name}:${i.columns.join(',')}`)
        .sort();
    const original = await indexes();
    expect(original).toEqual(
      expect.arrayContaining(['ratings_movie:movie_id,rating', 'ratings_rated_at:rated_at']),
    );
    const dir = tempDir('mn-import-');
    writeFileSync(
      join(dir, 'movies.csv'),
      `movieId,title,genres\n${Array.from({ length: 60 }, (_, m) => `${m + 1},M${m + 1} (2000),Drama`).join('\n')}\n`,
    );
    const lines = ['userId,movieId,rating,timestamp'];
    for (let u = 1; u <= 1000; u++)
      for (let m = 1; m <= 60; m++) lines.push(`${u},${m},${(u + m) % 2 ? 4.5 : 2},${1_500_000_000 + u}`);
    writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n1,61,4,1\n`);
    const error = await importMovieLens(t.db, dir).catch((e: unknown) => e);
    expect((error as DataFormatError).line).toBe(60_002);
    expect(await indexes()).toEqual(original);
    expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ratings'))?.n)).toBe(0);
    writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
    const s = await importMovieLens(t.db, dir);
    expect(s.ratings.inserted).toBe(60_000);
    expect(await indexes()).toEqual(original);
  });

  it('a bulk import keeps movies.rating_count right and its triggers in place', async () => {
    const triggers = await t.db.rowTriggers('ratings');
    const dir = tempDir('mn-import-');
    writeFileSync(
      join(dir, 'movies.csv'),
      `movieId,title,genres\n${Array.from({ length: 60 }, (_, m) => `${m + 1},M${m + 1} (2000),Drama`).join('\n')}\n`,
    );
    const lines = ['userId,movieId,rating,timestamp'];
    // Movie m is rated by the first 1000 + 10·m users: 61,000+ lines, a bulk load.
    for (let m = 1; m <= 60; m++)
      for (let u = 1; u <= 1000 + 10 * m; u++)
        lines.push(`${u},${m},${(u + m) % 2 ? 4.5 : 2},${1_500_000_000 + u}`);
    writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
    await importMovieLens(t.db, dir);
    const counts = await t.db.all<{ id: number; rating_count: number }>(
      'SELECT id, rating_count FROM movies ORDER BY id',
    );
    expect(counts.map((r) => Number(r.rating_count))).toEqual(
      Array.from({ length: 60 }, (_, i) => 1000 + 10 * (i + 1)),
    );
    expect(await t.db.rowTriggers('ratings')).toEqual(triggers);
    // The triggers work again after the load: a single rating counts.
    await t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (1600, 1, 4, 0)');
    expect(await t.db.get<{ n: number }>('SELECT rating_count AS n FROM movies WHERE id = 1')).toEqual({
      n: 1011,
    });
  });

  it('with --skip-invalid imports the rest and reports each kind with counts and first lines', async () => {
    const dir = tempDir('mn-import-');
    writeFileSync(
      join(dir, 'movies.csv'),
      'movieId,title,genres\n1,One (2001),Drama\nbad,Bad,Drama\n2,Two (2002),Comedy\n',
    );
    const rows = [
      'userId,movieId,rating,timestamp',
      '1,1,4.0,100', // 2
      '1,2,9,100', // 3 off scale
      '2,1,4.0,100', // 4
      '2,5,4.0,100', // 5 unknown movie
      '3,1,7,100', // 6 off scale
      'x,1,4.0,100', // 7 invalid id
      '3,2,3.5,100', // 8
      '4,1', // 9 malformed
    ];
    writeFileSync(join(dir, 'ratings.csv'), `${rows.join('\r\n')}\r\n`);
    const s = await importMovieLens(t.db, dir, { skipInvalid: true });
    expect(s.ratings).toMatchObject({ read: 3, inserted: 3, skipped: 5 });
    expect(s.movies).toMatchObject({ read: 2, inserted: 2 });
    const byKind = Object.fromEntries(
      s.skipped.map((k) => [
        `${k.file.endsWith('movies.csv') ? 'movies' : 'ratings'}:${k.kind}`,
        [k.count, k.firstLines],
      ]),
    );
    expect(byKind).toEqual({
      'movies:invalid_id': [1, [3]],
      'ratings:rating_off_scale': [2, [3, 6]],
      'ratings:unknown_movie': [1, [5]],
      'ratings:invalid_id': [1, [7]],
      'ratings:malformed_line': [1, [9]],
    });
    expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ratings'))?.n)).toBe(3);
  });

  it('refuses a folder that is not MovieLens, naming the files it looked for', async () => {
    await expect(importMovieLens(t.db, fixtures)).rejects.toThrow(/ratings\.csv \+ movies\.csv/);
  });

  it.skipIf(!mlLatestSmallDir)(
    `imports ml-latest-small: 610 users, 9,742 movies, 100,836 ratings, mean 3.50156${mlLatestSmallDir ? '' : ` (${skipWithoutMlLatestSmall})`}`,
    async () => {
      const s = await importMovieLens(t.db, mlLatestSmallDir!);
      expect(s.ratings.inserted).toBe(100_836);
      const row = await t.db.get<{ users: number; movies: number; ratings: number; mean: number }>(
        `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM movies) AS movies,
                (SELECT COUNT(*) FROM ratings) AS ratings, (SELECT AVG(rating) FROM ratings) AS mean`,
      );
      expect(Number(row?.users)).toBe(610);
      expect(Number(row?.movies)).toBe(9742);
      expect(Number(row?.ratings)).toBe(100_836);
      expect(Number(row?.mean)).toBeCloseTo(3.50156, 5);
    },
  );
});

// One database per kind for all rejections: each must leave it exactly as the fixture import made it.
describeEachDatabase('importMovieLens rejections', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await kind.create();
    await importMovieLens(t.db, join(fixtures, 'ml-100k-tiny'));
  });
  afterAll(async () => t.drop());

  const rejections: ReadonlyArray<[string, 'ratings.csv' | 'movies.csv', string, string, string]> = [
    ['a line that does not parse', 'ratings.csv', '1,2,3', '1,2,3', 'fields'],
    ['an unclosed quote', 'ratings.csv', '"1,2,3.0,964982703', '"1,2,3.0,964982703', 'unclosed quote'],
    ['a user id that is not an integer', 'ratings.csv', '1.5,1,4.0,964982703', '1.5', 'user id'],
    ['a movie id that is not an integer', 'ratings.csv', '2,x7,4.0,964982703', 'x7', 'movie id'],
    ['a rating off the scale', 'ratings.csv', '2,2,5.5,964982703', '5.5', 'off the scale'],
    ['a rating between steps', 'ratings.csv', '2,2,3.25,964982703', '3.25', 'off the scale'],
    ['a rating that is not a number', 'ratings.csv', '2,2,good,964982703', 'good', 'not a number'],
    ['a bad timestamp', 'ratings.csv', '2,2,4.0,yesterday', 'yesterday', 'timestamp'],
    [
      'a rating for a movie not in the movie file',
      'ratings.csv',
      '2,99,4.0,964982703',
      '99',
      'not in the movie',
    ],
    ['a movie line that does not parse', 'movies.csv', '6,No genres field', '6,No genres field', 'fields'],
    ['a movie id that is not an integer', 'movies.csv', 'six,Six (2000),Drama', 'six', 'movie id'],
  ];
  for (const [what, file, text, value, problem] of rejections) {
    it(`refuses ${what}, naming file, line and value, and leaves the database as it was`, async () => {
      const before = await snapshot(t.db);
      const dir = brokenCopy(file, 4, text);
      const error = await importMovieLens(t.db, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataFormatError);
      const e = error as DataFormatError;
      expect(e.file).toBe(join(dir, file));
      expect(e.line).toBe(4);
      expect(e.value).toBe(value);
      expect(e.message).toContain(`${file}:4`);
      expect(e.message).toContain(problem);
      expect(await snapshot(t.db)).toEqual(before);
    });
  }
  it('refuses an ml-latest file without its header line instead of losing its first row', async () => {
    const before = await snapshot(t.db);
    const dir = brokenCopy('ratings.csv', 1, '');
    const lines = readFileSync(join(dir, 'ratings.csv'), 'utf8').split('\n').slice(2);
    writeFileSync(join(dir, 'ratings.csv'), lines.join('\n'));
    const error = await importMovieLens(t.db, dir).catch((e: unknown) => e);
    expect((error as DataFormatError).message).toBe(
      `${join(dir, 'ratings.csv')}:1: expected the header line "userId,movieId,rating,timestamp" (value: "1,1,4.0,964982703")`,
    );
    expect(await snapshot(t.db)).toEqual(before);
  });
});
