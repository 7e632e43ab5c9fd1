import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tableSnapshot as snapshot } from '../../test/fixtures/table-snapshot.ts';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { temporaryFolders } from '../../test/helpers/temp-dirs.ts';
import { DataFormatError } from '../errors.ts';
import { importMovieLens } from './import-movielens.ts';
import { importRatingsCsv } from './import-ratings-csv.ts';

const tempDir = temporaryFolders();

const fixtures = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

function csv(text: string): string {
  const file = join(tempDir('mn-csv-'), 'ratings.csv');
  writeFileSync(file, text);
  return file;
}

describeEachDatabase('importRatingsCsv', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    // The catalogue comes from a MovieLens folder; a generic CSV only adds ratings.
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
  });
  afterEach(async () => t.drop());

  it('imports user,movie,rating,timestamp with a quoted field, creating new users', async () => {
    const s = await importRatingsCsv(t.db, join(fixtures, 'ratings-generic.csv'));
    expect(s.users).toEqual({ seen: 3, inserted: 1 }); // users 1 and 2 exist already
    expect(s.ratings).toMatchObject({ read: 3, inserted: 2, updated: 1, skipped: 0 }); // 1,1 was 4.0
    const r = await t.db.get<{ rating: number; rated_at: number }>(
      'SELECT rating, rated_at FROM ratings WHERE user_id = 4 AND movie_id = 2',
    );
    expect(r).toEqual({ rating: 5, rated_at: 1_600_000_200_000 });
    const again = await importRatingsCsv(t.db, join(fixtures, 'ratings-generic.csv'));
    expect(again.ratings).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
  });

  it('takes columns in any order, CRLF, no timestamp (rated_at = the import time, kept on re-import)', async () => {
    const file = join(fixtures, 'ratings-generic-no-timestamp.csv');
    const s = await importRatingsCsv(t.db, file, { ratedAt: 5000 });
    expect(s.ratings.inserted).toBe(2);
    const before = await snapshot(t.db);
    const again = await importRatingsCsv(t.db, file, { ratedAt: 9000 });
    expect(again.ratings.unchanged).toBe(2);
    expect(await snapshot(t.db)).toEqual(before);
    const r = await t.db.get<{ rating: number; rated_at: number }>(
      'SELECT rating, rated_at FROM ratings WHERE user_id = 7 AND movie_id = 2',
    );
    expect(r).toEqual({ rating: 3.5, rated_at: 5000 });
  });

  it('refuses a rating for a movie that is not in the database, and changes nothing', async () => {
    const before = await snapshot(t.db);
    const file = csv('user,movie,rating\n9,1,4\n9,77,4\n');
    const error = await importRatingsCsv(t.db, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).message).toBe(
      `${file}:3: rating for a movie that is not in the movie list (value: "77")`,
    );
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('refuses a header without the required columns, and an empty file', async () => {
    await expect(importRatingsCsv(t.db, csv('a,b,c\n1,2,3\n'))).rejects.toThrow(
      /:1: the header must name a user column/,
    );
    await expect(importRatingsCsv(t.db, csv(''))).rejects.toThrow(/header line is required/);
  });

  it('with skipInvalid counts each kind and imports the rest', async () => {
    const s = await importRatingsCsv(
      t.db,
      csv('userId,movieId,rating\n9,1,4\n9,77,4\n-1,2,3\n9,2,0\n9,3,4.5\n'),
      {
        skipInvalid: true,
      },
    );
    expect(s.ratings).toMatchObject({ read: 2, inserted: 2, skipped: 3 });
    expect(s.skipped.map((k) => [k.kind, k.count, k.firstLines])).toEqual([
      ['unknown_movie', 1, [3]],
      ['invalid_id', 1, [4]],
      ['rating_off_scale', 1, [5]],
    ]);
  });
});
