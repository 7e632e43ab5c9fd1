import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import type { Database } from '../db/database.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { unexpectedMoviesReport } from './unexpected-movies-report.ts';
import { renderUnexpectedMoviesHtml, renderUnexpectedMoviesTerminal } from './unexpected-movies-view.ts';

const day = 86_400_000;
const t0 = Date.UTC(2024, 0, 1);

/**
 * 10 ratings by two users; 7 were served as recommendations a day before, 3 were not (movies 4
 * and 5 by user 1, movie 5 by user 2): share 0.3.
 */
async function seed(db: Database): Promise<void> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    [
      [1, 'Alpha', 2000, 'Drama'],
      [2, 'Beta', 2001, 'Comedy'],
      [3, 'Gamma', 2002, 'Drama|Comedy'],
      [4, 'Delta', 2003, 'Horror'],
      [5, 'Epsilon', 2004, 'Horror|Drama'],
      [6, 'Zeta', 2005, 'Comedy'],
    ],
  );
  await db.insertMany(
    'users',
    ['id', 'created_at'],
    [
      [1, t0],
      [2, t0],
    ],
  );
  const served: Array<[number, number]> = [
    [1, 1],
    [1, 2],
    [1, 3],
    [1, 6],
    [2, 1],
    [2, 2],
    [2, 3],
  ];
  await insertServed(
    db,
    served.map(([userId, movieId], i) => ({
      userId,
      movieId,
      predictedRating: 4,
      rank: i + 1,
      servedAt: t0 + day,
    })),
  );
  // [user, movie, rating, day]
  const ratings: Array<[number, number, number, number]> = [
    [1, 1, 4, 2],
    [1, 2, 3, 2],
    [1, 3, 5, 3],
    [1, 6, 4, 3],
    [1, 4, 1, 3], // unexpected
    [1, 5, 2, 4], // unexpected
    [2, 1, 5, 2],
    [2, 2, 4, 4],
    [2, 3, 3, 4],
    [2, 5, 2, 4], // unexpected
  ];
  for (const [userId, movieId, rating, d] of ratings) {
    await rateMovie(
      db,
      { userId, movieId, rating, ratedAt: t0 + d * day },
      { now: t0 + d * day, scale: { min: 1, max: 5, step: 1 } },
    );
  }
}

describeEachDatabase('unexpected movies report', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seed(t.db);
  });
  afterEach(async () => t.drop());

  it('counts 3 of 10 tracked ratings as unexpected and breaks them down', async () => {
    const r = await unexpectedMoviesReport(t.db, { now: t0 });
    expect(r.totals).toEqual({ ratings: 10, unexpected: 3, recommended: 7, share: 0.3 });
    expect(r.overTime.bucket).toBe('day');
    expect(r.overTime.points.map((p) => [p.label, p.ratings, p.unexpected])).toEqual([
      ['2024-01-03', 3, 0],
      ['2024-01-04', 3, 1],
      ['2024-01-05', 4, 2],
    ]);
    expect(r.overTime.points[2]!.share).toBe(0.5);
    expect(r.ratingDistribution).toEqual([
      { rating: 1, unexpected: 1, recommended: 0 },
      { rating: 2, unexpected: 2, recommended: 0 },
      { rating: 3, unexpected: 0, recommended: 2 },
      { rating: 4, unexpected: 0, recommended: 3 },
      { rating: 5, unexpected: 0, recommended: 2 },
    ]);
    expect(r.meanRating.unexpected).toBeCloseTo(5 / 3, 10);
    expect(r.meanRating.recommended).toBeCloseTo(28 / 7, 10);
    expect(r.likedShare).toEqual({ unexpected: 0, recommended: 5 / 7 });
    const horror = r.genres.find((g) => g.genre === 'Horror')!;
    expect(horror).toMatchObject({ unexpected: 3, recommended: 0, unexpectedShare: 1, recommendedShare: 0 });
    const drama = r.genres.find((g) => g.genre === 'Drama')!;
    expect(drama).toMatchObject({ unexpected: 2, recommended: 4 });
    expect(r.genres[0]!.genre).toBe('Horror');
    // Popularity: movie 5 has 2 ratings, movie 4 has 1 → unexpected popularities [1, 2, 2].
    expect(r.popularity.median.unexpected).toBe(2);
    expect(r.popularity.mean.unexpected).toBeCloseTo(5 / 3, 10);
    expect(r.topUsers).toEqual([
      { userId: 1, unexpected: 2, ratings: 6, share: 2 / 6 },
      { userId: 2, unexpected: 1, ratings: 4, share: 1 / 4 },
    ]);
    expect(r.topMovies.map((m) => [m.movieId, m.title, m.unexpected])).toEqual([
      [5, 'Epsilon', 2],
      [4, 'Delta', 1],
    ]);
    expect(r.topUsersShareOfUnexpected).toBe(1);
  });

  it('classifies every stored rating by the tracker verdict training uses, and filters by period', async () => {
    // An imported rating (no tracker row) of a never-served movie: history, not unexpected.
    await t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (2, 6, 4, ?)', [
      t0 + 5 * day,
    ]);
    const all = await unexpectedMoviesReport(t.db, { source: 'ratings', now: t0 });
    expect(all.totals).toEqual({ ratings: 11, unexpected: 3, recommended: 8, share: 3 / 11 });
    const tracked = await unexpectedMoviesReport(t.db, { now: t0 });
    expect(tracked.totals.ratings).toBe(10);
    const lastDays = await unexpectedMoviesReport(t.db, { source: 'ratings', since: t0 + 4 * day, now: t0 });
    expect(lastDays.totals).toEqual({ ratings: 5, unexpected: 2, recommended: 3, share: 0.4 });
    await expect(unexpectedMoviesReport(t.db, { top: 0 })).rejects.toThrow(/top must be/);
  });

  it('renders to the terminal and as HTML from the same data', async () => {
    const r = await unexpectedMoviesReport(t.db, { now: t0 });
    const plain = renderUnexpectedMoviesTerminal(r, { tty: false });
    expect(plain).toContain('10 ratings: 3 unexpected (30.0 %)');
    expect(plain).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(renderUnexpectedMoviesTerminal(r, { tty: true })).toMatch(/[▁▂▃▄▅▆▇█]/);
    const html = renderUnexpectedMoviesHtml(r);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Epsilon');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});
