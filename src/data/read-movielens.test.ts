import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../../test/helpers/data-paths.ts';
import { temporaryFolders } from '../../test/helpers/temp-dirs.ts';
import { DataFormatError } from '../errors.ts';
import { halfStarScale, wholeStarScale } from './rating-scale.ts';
import { readMovieLens } from './read-movielens.ts';

const tempDir = temporaryFolders();

const fixtures = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

describe('readMovieLens', () => {
  it('reads ml-latest CSV with quoted commas, doubled quotes and UTF-8 titles', async () => {
    const { ratings, movies } = await readMovieLens(join(fixtures, 'ml-latest-tiny'));
    expect(movies.size).toBe(5);
    expect(movies.get(2)?.title).toBe('City of Lost Children, The (Cité des enfants perdus, La) (1995)');
    expect(movies.get(2)?.year).toBe(1995);
    expect(movies.get(4)?.title).toBe('"Great Performances" Cats (1998)');
    expect(movies.get(5)).toEqual({ id: 5, title: 'Babylon 5', year: null, genres: [] });
    expect(ratings.size).toBe(7);
    expect(ratings.scale).toEqual(halfStarScale);
    expect([...ratings.users]).toEqual([1, 1, 1, 2, 2, 3, 3]);
    expect(ratings.timestamps[0]).toBe(964982703000);
  });

  it('reads CRLF files the same as LF files', async () => {
    const lf = await readMovieLens(join(fixtures, 'ml-latest-tiny'));
    const crlf = await readMovieLens(join(fixtures, 'ml-latest-crlf'));
    expect(crlf.movies).toEqual(lf.movies);
    expect([...crlf.ratings.ratings]).toEqual([...lf.ratings.ratings]);
  });

  it('reads ml-100k (tabs, pipes, ISO-8859-1, genre flags)', async () => {
    const { ratings, movies } = await readMovieLens(join(fixtures, 'ml-100k-tiny'));
    expect(movies.get(3)).toEqual({ id: 3, title: 'Café au lait', year: 1994, genres: ['Comedy'] });
    expect(movies.get(1)?.genres).toEqual(['Animation', 'Children', 'Comedy']);
    expect(movies.get(4)?.genres).toEqual([]);
    expect(ratings.size).toBe(5);
    expect(ratings.scale).toEqual(wholeStarScale);
  });

  it('reads ml-1m (:: separated, ISO-8859-1)', async () => {
    const { ratings, movies } = await readMovieLens(join(fixtures, 'ml-1m-tiny'));
    expect(movies.get(3)?.title).toBe('Fête des pères (1999)');
    expect(movies.get(2)?.genres).toEqual(['Adventure', 'Children', 'Fantasy']);
    expect(ratings.size).toBe(4);
  });

  it('names file, line and value of the first bad line', async () => {
    const dir = tempDir('mn-read-');
    writeFileSync(join(dir, 'movies.csv'), 'movieId,title,genres\n1,A (2000),Drama\n');
    writeFileSync(join(dir, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,4,1\n1,1,7,2\n');
    const error = await readMovieLens(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).line).toBe(3);
    expect((error as DataFormatError).value).toBe('7');
    expect((error as Error).message).toContain('ratings.csv:3');
  });

  it.skipIf(!mlLatestSmallDir)(
    `reads ml-latest-small${mlLatestSmallDir ? '' : ` (${skipWithoutMlLatestSmall})`}`,
    async () => {
      const { ratings, movies } = await readMovieLens(mlLatestSmallDir!);
      expect(movies.size).toBe(9742);
      expect(ratings.size).toBe(100836);
      let sum = 0;
      for (const r of ratings.ratings) sum += r;
      expect(sum / ratings.size).toBeCloseTo(3.50156, 5);
      expect(new Set(ratings.users).size).toBe(610);
    },
  );
});
