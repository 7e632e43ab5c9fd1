import { describe, expect, it } from 'vitest';
import { halfStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import { createModel } from './model-registry.ts';
import { describeRatingModelContract } from './rating-model.contract.ts';

// A ranking model: its rating is only user bias + a line in the score, so it beats the mean a little.
describeRatingModelContract('implicit-als', { params: { factors: 8, iterations: 4 }, beatsMeanRatio: 0.97 });

describe('implicit-als', () => {
  it('recommends what similar users watched over what is merely popular', () => {
    // Two tastes: users 1–20 watch movies 1–10, users 21–40 watch 11–20, and everyone watches 99.
    // User 1 has not seen movie 10 (all of their group did): it must come before the other group's.
    const rows: { user: number; movie: number; rating: number }[] = [];
    for (let u = 1; u <= 40; u++) {
      const base = u <= 20 ? 0 : 10;
      for (let m = 1; m <= 10; m++)
        if (!(u === 1 && m === 10)) rows.push({ user: u, movie: base + m, rating: 4 });
      rows.push({ user: u, movie: 99, rating: 3 });
    }
    // The other group's movies are more popular overall: watched by 5 extra users each.
    for (let u = 41; u <= 45; u++) for (let m = 11; m <= 20; m++) rows.push({ user: u, movie: m, rating: 4 });
    const data = ratingsDataFrom(rows, halfStarScale);
    const m = createModel('implicit-als', { factors: 4, iterations: 10, alpha: 10, regularization: 0.1 });
    m.fit(data, { seed: 3 });
    const seen = new Set(rows.filter((r) => r.user === 1).map((r) => r.movie));
    const recs = m.recommend(1, { n: 1, exclude: seen });
    expect(recs[0]!.movieId).toBe(10);
    // A user nobody knows gets the movies the average user watches: popularity.
    const cold = m.recommend(1000, { n: 3 }).map((r) => r.movieId);
    expect(cold).toContain(99);
  });
});
