import { describe, expect, it } from 'vitest';
import { wholeStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import type { KnnBaselineModel } from './knn-baseline-model.ts';
import { createModel } from './model-registry.ts';
import { describeRatingModelContract, generateStructuredRatings } from './rating-model.contract.ts';

describeRatingModelContract('knn-baseline', { seeded: false });
describeRatingModelContract('knn-baseline', { params: { k: 5, shrinkage: 10 }, seeded: false });

describe('knn-baseline', () => {
  // Three users, three movies; reg 0 and one ALS pass keep the baseline hand-computable.
  const data = ratingsDataFrom(
    [
      { user: 1, movie: 10, rating: 5 },
      { user: 1, movie: 20, rating: 4 },
      { user: 1, movie: 30, rating: 1 },
      { user: 2, movie: 10, rating: 4 },
      { user: 2, movie: 20, rating: 5 },
      { user: 2, movie: 30, rating: 2 },
      { user: 3, movie: 10, rating: 1 },
      { user: 3, movie: 20, rating: 2 },
    ],
    wholeStarScale,
  );
  const params = { k: 40, shrinkage: 0, reg_u: 0, reg_i: 0, bsl_epochs: 1 };

  it('matches a direct transcription of the formulas on small random data', () => {
    const d = generateStructuredRatings({ users: 25, movies: 30, perUser: 12, seed: 4 });
    const p = { k: 3, min_k: 2, shrinkage: 5, reg_u: 15, reg_i: 10, bsl_epochs: 10 };
    const m = createModel('knn-baseline', p);
    m.fit(d);
    const rows = Array.from(d.users, (u, k) => ({ u, i: d.movies[k]!, r: d.ratings[k]! }));
    const mu = rows.reduce((s, x) => s + x.r, 0) / rows.length;
    const bu = new Map<number, number>();
    const bi = new Map<number, number>();
    for (let e = 0; e < 10; e++) {
      const byI = new Map<number, number[]>();
      for (const x of rows) byI.set(x.i, [...(byI.get(x.i) ?? []), x.r - mu - (bu.get(x.u) ?? 0)]);
      for (const [i, devs] of byI) bi.set(i, devs.reduce((a, b) => a + b, 0) / (10 + devs.length));
      const byU = new Map<number, number[]>();
      for (const x of rows) byU.set(x.u, [...(byU.get(x.u) ?? []), x.r - mu - bi.get(x.i)!]);
      for (const [u, devs] of byU) bu.set(u, devs.reduce((a, b) => a + b, 0) / (15 + devs.length));
    }
    const z = new Map<string, number>();
    for (const x of rows) z.set(`${x.u}:${x.i}`, x.r - mu - bu.get(x.u)! - bi.get(x.i)!);
    const usersOf = (i: number) => rows.filter((x) => x.i === i).map((x) => x.u);
    const sim = (i: number, j: number) => {
      const common = usersOf(i).filter((u) => z.has(`${u}:${j}`));
      if (common.length < 1) return 0;
      const num = common.reduce((s, u) => s + z.get(`${u}:${i}`)! * z.get(`${u}:${j}`)!, 0);
      const den = Math.sqrt(
        common.reduce((s, u) => s + z.get(`${u}:${i}`)! ** 2, 0) *
          common.reduce((s, u) => s + z.get(`${u}:${j}`)! ** 2, 0),
      );
      return den === 0 ? 0 : (num / den) * ((common.length - 1) / (common.length - 1 + 5));
    };
    const predictRef = (u: number, i: number) => {
      let est = mu + bu.get(u)! + bi.get(i)!;
      const neighbours = rows
        .filter((x) => x.u === u && x.i !== i)
        .map((x) => ({ s: sim(i, x.i), z: z.get(`${u}:${x.i}`)! }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 3)
        .filter((v) => v.s > 0);
      if (neighbours.length >= 2) {
        est += neighbours.reduce((s, v) => s + v.s * v.z, 0) / neighbours.reduce((s, v) => s + v.s, 0);
      }
      return Math.min(5, Math.max(0.5, est));
    };
    const users = [...new Set(d.users)].slice(0, 6);
    const movies = [...new Set(d.movies)].slice(0, 12);
    for (const u of users)
      for (const i of movies) expect(m.predict(u, i).rating).toBeCloseTo(predictRef(u, i), 4);
  });

  it('uses only the k most similar, and min_k drops thin neighbourhoods to the baseline', () => {
    const baselineOnly = createModel('knn-baseline', { ...params, min_k: 10 });
    baselineOnly.fit(data);
    const plain = createModel('baseline', { n_epochs: 1, reg_u: 0, reg_i: 0 });
    plain.fit(data);
    expect(baselineOnly.predict(3, 30).rating).toBeCloseTo(plain.predict(3, 30).rating, 5);
  });

  it('explains a prediction by the rated movies that voted; their weights add up to the k-NN term', () => {
    const d = generateStructuredRatings({ users: 40, movies: 30, perUser: 15, seed: 8 });
    const m = createModel('knn-baseline', { k: 5 }) as KnnBaselineModel;
    m.fit(d);
    const bare = createModel('knn-baseline', { k: 5, min_k: 10_000 });
    bare.fit(d);
    let checked = 0;
    for (const u of [...new Set(d.users)].slice(0, 10)) {
      for (const i of [...new Set(d.movies)].slice(0, 10)) {
        const why = m.contributions(u, i, 5);
        const p = m.predict(u, i).rating;
        if (why.length === 0 || p <= 0.5 || p >= 5) continue;
        checked++;
        expect(why.every((c) => c.similarity > 0 && c.movieId !== i)).toBe(true);
        expect(why.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(p - bare.predict(u, i).rating, 4);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(m.contributions(99, 10)).toEqual([]);
  });
  it('scores a whole catalogue for one user through the per-user terms, as the exact path does', () => {
    const d = generateStructuredRatings({ users: 60, movies: 400, perUser: 120, seed: 9 });
    const m = createModel('knn-baseline', { k: 10 });
    m.fit(d);
    const user = d.users[0]!;
    const movies = Int32Array.from(new Set(d.movies));
    const fast = m.predictMany(new Int32Array(movies.length).fill(user), movies);
    expect(movies.length).toBeGreaterThan(256);
    movies.forEach((movie, k) => {
      expect(fast[k]).toBeCloseTo(m.predict(user, movie).rating, 5);
    });
    const top = m.recommend(user, { n: 20 });
    const exact = [...movies]
      .map((movie) => ({ movie, r: m.predict(user, movie).rating }))
      .sort((a, b) => b.r - a.r || a.movie - b.movie);
    expect(top[0]!.predictedRating).toBeCloseTo(exact[0]!.r, 5);
  });
});
