import { describe, expect, it } from 'vitest';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import { createSyntheticWorld } from '../data/synthetic-world.ts';
import { createModel } from '../models/model-registry.ts';
import { TopNRecommender } from './top-n.ts';

// A world of 200 users; users 1…180 are trained on, the rest sign up afterwards.
const world = createSyntheticWorld({ users: 200, movies: 150, seed: 8 });
const movies = new Map(world.catalogue().map((m) => [m.id, m]));
const rows: { user: number; movie: number; rating: number; timestamp: number }[] = [];
const later = new Map<number, { movie: number; rating: number; timestamp: number }[]>();
for (const r of world.ratingsByUser(9000, 2)) {
  for (let k = 0; k < r.movies.length; k++) {
    const row = { user: r.user, movie: r.movies[k]!, rating: r.ratings[k]!, timestamp: r.timestamps[k]! };
    if (r.user <= 180) rows.push(row);
    else later.set(r.user, [...(later.get(r.user) ?? []), row]);
  }
}
const trained = ratingsDataFrom(rows, world.scale);
const svd = createModel('svd', { n_factors: 12 });
svd.fit(trained, { seed: 1 });
const popularity = createModel('popularity');
popularity.fit(trained);
const [newcomer, newcomerRows] = [...later].find(([, r]) => r.length >= 6)!;
const fiveRatings = new Map(newcomerRows.slice(0, 5).map((r) => [r.movie, r.rating]));

describe('TopNRecommender fold-in', () => {
  const rec = new TopNRecommender({ model: svd, ratings: trained, movies, fallbackModel: popularity });

  it('gives a new user with five ratings personal picks at once, explained from those ratings', () => {
    const r = rec.recommend({ userId: newcomer, n: 10, history: fiveRatings });
    expect(r.newUser).toBe(false);
    expect(r.foldedIn).toBe(true);
    expect(r.note).toBeNull();
    expect(r.model).toBe('svd');
    expect(r.items).toHaveLength(10);
    const fallback = rec.recommend({ userId: newcomer, n: 10, history: new Map() });
    expect(r.items.map((i) => i.movieId)).not.toEqual(fallback.items.map((i) => i.movieId));
    for (const item of r.items) {
      expect(fiveRatings.has(item.movieId)).toBe(false);
      expect(item.fallback).toBe('none');
      expect(item.explanation?.kind).not.toBe('popular');
      for (const b of item.explanation!.because) expect(fiveRatings.has(b.movieId)).toBe(true);
    }
    // The picks are the model's fold-in ranking.
    const direct = svd.foldIn!(fiveRatings)!.recommend({ n: 10, exclude: new Set(fiveRatings.keys()) });
    expect(r.items.map((i) => i.movieId)).toEqual(direct.map((d) => d.movieId));
  });

  it('keeps the "new user" note for a user with no ratings', () => {
    const r = rec.recommend({ userId: newcomer, n: 5, history: new Map() });
    expect(r.newUser).toBe(true);
    expect(r.foldedIn).toBe(false);
    expect(r.note).toMatch(/new user/);
    expect(r.model).toBe('popularity');
  });

  it('refolds when a rating is added or changed, and honours filters', () => {
    const first = rec.recommend({ userId: newcomer, n: 10, history: fiveRatings });
    const top = first.items[0]!.movieId;
    const six = new Map([...fiveRatings, [top, world.scale.min]]);
    const after = rec.recommend({ userId: newcomer, n: 10, history: six });
    expect(after.items.map((i) => i.movieId)).not.toContain(top);
    // A changed rating (same size) is a different history too: same as a fresh recommender's answer.
    const changed = new Map(
      [...fiveRatings].map(([m, r], k) => [m, k === 0 ? world.scale.max + world.scale.min - r : r]),
    );
    const fresh = new TopNRecommender({ model: svd, ratings: trained, movies, fallbackModel: popularity });
    expect(rec.recommend({ userId: newcomer, n: 10, history: changed }).items).toEqual(
      fresh.recommend({ userId: newcomer, n: 10, history: changed }).items,
    );
    const genre = movies.get(first.items[0]!.movieId)!.genres[0]!;
    const filtered = rec.recommend({ userId: newcomer, n: 5, history: fiveRatings, filters: { genre } });
    expect(filtered.foldedIn).toBe(true);
    for (const item of filtered.items) expect(item.genres).toContain(genre);
  });

  it('folds in a user found in its own ratings but not in the model (rated after training)', () => {
    const withNewcomer = ratingsDataFrom(
      [...rows, ...newcomerRows.slice(0, 5).map((r) => ({ ...r, user: newcomer }))],
      world.scale,
    );
    const r = new TopNRecommender({
      model: svd,
      ratings: withNewcomer,
      movies,
      fallbackModel: popularity,
    }).recommend({
      userId: newcomer,
      n: 10,
    });
    expect(r.foldedIn).toBe(true);
    expect(r.items.map((i) => i.movieId)).toEqual(
      rec.recommend({ userId: newcomer, n: 10, history: fiveRatings }).items.map((i) => i.movieId),
    );
  });

  it('leaves a trained user on the trained model (no fold-in)', () => {
    const r = rec.recommend({ userId: 1, n: 5 });
    expect(r.foldedIn).toBe(false);
    expect(r.newUser).toBe(false);
    expect(r.items.map((i) => i.movieId)).toEqual(
      svd.recommend(1, { n: 5, exclude: new Set(rec.userHistory(1).keys()) }).map((m) => m.movieId),
    );
  });
});
