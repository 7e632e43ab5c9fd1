import { describe, expect, it } from 'vitest';
import { halfStarScale } from '../data/rating-scale.ts';
import { type MovieInfo, ratingsDataFrom } from '../data/ratings-data.ts';
import type { GenrePopularityModel } from './genre-popularity-model.ts';
import { createModel, loadModel } from './model-registry.ts';
import { describeRatingModelContract } from './rating-model.contract.ts';

describeRatingModelContract('genre-popularity', { seeded: false });

describe('genre-popularity', () => {
  const info = (id: number, genres: string[]): [number, MovieInfo] => [
    id,
    { id, title: `m${id}`, year: 2000, genres },
  ];
  // Movies 1–3 comedies, 4–6 horror; 7 a comedy and 8 a horror film nobody has rated yet.
  const movies = new Map<number, MovieInfo>([
    info(1, ['Comedy']),
    info(2, ['Comedy']),
    info(3, ['Comedy']),
    info(4, ['Horror']),
    info(5, ['Horror']),
    info(6, ['Horror']),
    info(7, ['Comedy']),
    info(8, ['Horror']),
    info(9, ['(no genres listed)']),
  ]);
  // Users 1–10 love comedy and dislike horror; users 11–20 the reverse; everyone rates all six.
  const rows: { user: number; movie: number; rating: number }[] = [];
  for (let u = 1; u <= 20; u++) {
    for (let m = 1; m <= 6; m++) {
      const comedy = m <= 3;
      rows.push({ user: u, movie: m, rating: comedy === u <= 10 ? 4.5 : 1.5 });
    }
  }
  // User 21 rated one comedy high only.
  rows.push({ user: 21, movie: 2, rating: 5 });
  const data = ratingsDataFrom(rows, halfStarScale);
  const params = { reg_g: 0, reg_ug: 0, reg_u: 0, reg_i: 0 };

  it('places a movie nobody rated by its genres, per user taste, and says it fell back', () => {
    const m = createModel('genre-popularity', params);
    m.fit(data, { movies });
    const lover = m.predict(1, 7);
    const hater = m.predict(11, 7);
    expect(lover.fallback).toBe('unknown-movie');
    expect(lover.rating).toBeGreaterThan(hater.rating + 2);
    expect(m.predict(11, 8).rating).toBeGreaterThan(m.predict(1, 8).rating + 2);
    // A movie with no genres, or not in the catalogue, gets only μ + b_u.
    expect(m.predict(1, 9).rating).toBeCloseTo(m.predict(1, 999).rating, 10);
  });

  it('hand-computed: genre taste of a user with one rating', () => {
    const m = createModel('genre-popularity', { ...params, n_epochs: 1 });
    m.fit(data, { movies });
    // μ = (120·3 + 5)/121; with λ = 0 everything is a plain mean; prediction for user 21 on
    // comedy 1: μ + b_u + b_1 + t(21, Comedy), with t = r − μ − b_u − b_2 on the one rating (movie 2),
    // and b_u = 5 − μ − b_2 (one rating) ⇒ t = 0: the user's bias already absorbed it.
    const mu = (120 * 3 + 5) / 121;
    const b2 = (10 * 4.5 + 10 * 1.5 + 5) / 21 - mu;
    const b1 = (10 * 4.5 + 10 * 1.5) / 20 - mu;
    const bu21 = 5 - mu - b2;
    expect(m.predict(21, 1).rating).toBeCloseTo(mu + bu21 + b1, 6);
  });

  it('recommends new catalogue movies too, keeps its catalogue through save → load', () => {
    const m = createModel('genre-popularity', params) as GenrePopularityModel;
    m.fit(data, { movies });
    const recs = m.recommend(1, { n: 2, exclude: new Set([1, 2, 3, 4, 5, 6]) });
    expect(recs[0]).toMatchObject({ movieId: 7, fallback: 'unknown-movie' });
    expect(m.favouriteGenres(1)[0]?.genre).toBe('Comedy');
    const loaded = loadModel(m.save());
    expect(loaded.recommend(1, { n: 3 })).toEqual(m.recommend(1, { n: 3 }));
    expect(loaded.predict(11, 8)).toEqual(m.predict(11, 8));
  });
});
