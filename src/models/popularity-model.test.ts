import { describe, expect, it } from 'vitest';
import { halfStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import { createModel } from './model-registry.ts';
import { describeRatingModelContract } from './rating-model.contract.ts';

// Popularity ignores taste and movie quality by design, so it only has to beat the mean a little.
describeRatingModelContract('popularity', { seeded: false, beatsMeanRatio: 0.97 });

describe('popularity', () => {
  // Movie 1: 3 ratings, movie 2: 2, movie 3: 1; user 9 rated only movie 1.
  const data = ratingsDataFrom(
    [
      { user: 7, movie: 1, rating: 5 },
      { user: 8, movie: 1, rating: 4 },
      { user: 9, movie: 1, rating: 4 },
      { user: 7, movie: 2, rating: 3 },
      { user: 8, movie: 2, rating: 4 },
      { user: 7, movie: 3, rating: 2 },
    ],
    halfStarScale,
  );
  it('ranks unseen movies by number of ratings', () => {
    const m = createModel('popularity');
    m.fit(data);
    expect(m.recommend(42, { n: 3 }).map((r) => r.movieId)).toEqual([1, 2, 3]);
    expect(m.recommend(9, { n: 3, exclude: new Set([1]) }).map((r) => r.movieId)).toEqual([2, 3]);
  });
  it('fits the rating on log popularity by least squares (hand-computed with reg_u 0)', () => {
    const m = createModel('popularity', { reg_u: 0 });
    m.fit(data);
    // μ = 22/6; b_u = user mean − μ: user 7 → 10/3 − 11/3 = −1/3, user 8 → 4 − 11/3 = 1/3, user 9 → 1/3.
    const mu = 22 / 6;
    const bu: Record<number, number> = { 7: -1 / 3, 8: 1 / 3, 9: 1 / 3 };
    const rows = [
      [7, 1, 5],
      [8, 1, 4],
      [9, 1, 4],
      [7, 2, 3],
      [8, 2, 4],
      [7, 3, 2],
    ] as const;
    const n: Record<number, number> = { 1: 3, 2: 2, 3: 1 };
    const xs = rows.map(([, i]) => Math.log1p(n[i]!));
    const ys = rows.map(([u, , r]) => r - mu - bu[u]!);
    const mx = xs.reduce((s, x) => s + x, 0) / 6;
    const my = ys.reduce((s, y) => s + y, 0) / 6;
    const b =
      xs.reduce((s, x, k) => s + (x - mx) * (ys[k]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const a = my - b * mx;
    expect(b).toBeGreaterThan(0);
    expect(m.predict(8, 3).rating).toBeCloseTo(mu + 1 / 3 + a + b * Math.log1p(1), 5);
    expect(m.predict(8, 99).rating).toBeCloseTo(mu + 1 / 3, 5);
  });
});
