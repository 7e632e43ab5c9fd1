import { describe, expect, it } from 'vitest';
import { halfStarScale } from '../data/rating-scale.ts';
import { type MovieInfo, ratingsDataFrom } from '../data/ratings-data.ts';
import { InvalidInputError } from '../errors.ts';
import { createModel } from '../models/model-registry.ts';
import { generateStructuredRatings } from '../models/rating-model.contract.ts';
import { Explainer } from './explain.ts';
import { TopNRecommender } from './top-n.ts';

const data = generateStructuredRatings({ users: 80, movies: 120, perUser: 30, seed: 5 });
const genresOf = ['Comedy', 'Drama', 'Horror'];
const movies = new Map<number, MovieInfo>(
  [...new Set(data.movies)].map((id, k) => [
    id,
    {
      id,
      title: `Movie ${id}`,
      year: 1990 + (k % 30),
      genres: [genresOf[k % 3]!, ...(k % 5 === 0 ? ['Drama'] : [])],
    },
  ]),
);
const svd = createModel('svd', { n_factors: 8, n_epochs: 10 });
svd.fit(data, { seed: 1 });
const popularity = createModel('popularity');
popularity.fit(data);
const user = data.users[0]!;
const rated = new Set<number>();
for (let k = 0; k < data.size; k++) if (data.users[k] === user) rated.add(data.movies[k]!);

describe('TopNRecommender', () => {
  const rec = new TopNRecommender({ model: svd, ratings: data, movies, fallbackModel: popularity });

  it('returns the best unrated movies in order, with titles and explanations', () => {
    const r = rec.recommend({ userId: user, n: 10 });
    expect(r.newUser).toBe(false);
    expect(r.model).toBe('svd');
    expect(r.note).toBeNull();
    expect(r.items).toHaveLength(10);
    expect(r.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const item of r.items) {
      expect(rated.has(item.movieId)).toBe(false);
      expect(item.title).toBe(`Movie ${item.movieId}`);
      expect(item.predictedRating).toBeCloseTo(svd.predict(user, item.movieId).rating, 5);
      expect(item.explanation?.text.length).toBeGreaterThan(5);
    }
    for (let k = 1; k < r.items.length; k++) {
      expect(r.items[k]!.predictedRating).toBeLessThanOrEqual(r.items[k - 1]!.predictedRating);
    }
    expect(rec.recommend({ userId: user, n: 3, explain: false }).items[0]!.explanation).toBeNull();
    // A fresher history from the caller: the movie just rated is excluded too.
    const first = r.items[0]!.movieId;
    const fresher = new Map<number, number>([...rated].map((m) => [m, 4])).set(first, 5);
    expect(
      rec.recommend({ userId: user, n: 10, history: fresher }).items.map((i) => i.movieId),
    ).not.toContain(first);
  });

  it('applies genre and year filters, and names a bad one', () => {
    const r = rec.recommend({
      userId: user,
      n: 20,
      filters: { genre: 'horror', yearFrom: 2000, yearTo: 2010 },
    });
    expect(r.items.length).toBeGreaterThan(0);
    for (const item of r.items) {
      expect(item.genres).toContain('Horror');
      expect(item.year).toBeGreaterThanOrEqual(2000);
      expect(item.year).toBeLessThanOrEqual(2010);
    }
    expect(() => rec.recommend({ userId: user, filters: { genre: 'western' } })).toThrow(/western/);
    expect(() => rec.recommend({ userId: user, filters: { yearFrom: 2010, yearTo: 2000 } })).toThrow(
      InvalidInputError,
    );
    expect(() => rec.recommend({ userId: user, n: 0 })).toThrow(/n must be/);
    expect(rec.recommend({ userId: user, filters: { yearFrom: 2990 } }).items).toEqual([]);
  });

  it('gives a new user the fallback model’s list and says so', () => {
    const r = rec.recommend({ userId: 424242, n: 5 });
    expect(r.newUser).toBe(true);
    expect(r.model).toBe('popularity');
    expect(r.note).toMatch(/new user/);
    expect(r.items.map((i) => i.movieId)).toEqual(
      popularity.recommend(424242, { n: 5 }).map((m) => m.movieId),
    );
    expect(r.items.every((i) => i.explanation?.kind === 'popular')).toBe(true);
    // Without a fallback model the model's own fallback answers, still flagged.
    const plain = new TopNRecommender({ model: svd, ratings: data, movies }).recommend({
      userId: 424242,
      n: 3,
    });
    expect(plain.newUser).toBe(true);
    expect(plain.model).toBe('svd');
  });

  it('explains a k-NN recommendation by the rated movies that voted for it', () => {
    const knn = createModel('knn-baseline');
    knn.fit(data);
    const r = new TopNRecommender({ model: knn, ratings: data, movies }).recommend({ userId: user, n: 5 });
    const voted = r.items.filter((i) => i.explanation?.kind === 'neighbour-votes');
    expect(voted.length).toBeGreaterThan(0);
    for (const item of voted) {
      for (const b of item.explanation!.because) expect(rated.has(b.movieId)).toBe(true);
    }
  });
});

describe('Explainer', () => {
  // Liked (≥ 3.5): user 1 likes 10, 20; user 2 likes 10, 20, 30; user 3 likes 10, 30; user 4 likes 40.
  const ratings = ratingsDataFrom(
    [
      { user: 1, movie: 10, rating: 5 },
      { user: 1, movie: 20, rating: 4 },
      { user: 2, movie: 10, rating: 4 },
      { user: 2, movie: 20, rating: 4 },
      { user: 2, movie: 30, rating: 4 },
      { user: 3, movie: 10, rating: 4 },
      { user: 3, movie: 30, rating: 5 },
      { user: 3, movie: 20, rating: 1 },
      { user: 4, movie: 40, rating: 5 },
    ],
    halfStarScale,
  );
  const cat = new Map<number, MovieInfo>(
    [10, 20, 30, 40].map((id) => [id, { id, title: `T${id}`, year: 2000, genres: ['Drama'] }]),
  );
  it('neighbours by shrunk cosine on liked co-occurrence, by hand', () => {
    const e = new Explainer(ratings, cat, { shrink: 1 });
    // Fans: 10 → {1,2,3}, 20 → {1,2}, 30 → {2,3}. L(10,20) = 2 → 2/√6 · 2/3; same for 30.
    const n = e.neighbours(10);
    expect([...n.ids]).toEqual([20, 30]);
    expect(n.sims[0]).toBeCloseTo((2 / Math.sqrt(6)) * (2 / 3), 6);
    expect(e.neighbours(40).ids.length).toBe(0);
  });
  it('says which liked movies a recommendation resembles', () => {
    const e = new Explainer(ratings, cat, { shrink: 1 });
    const x = e.explain(
      svd,
      1,
      30,
      new Map([
        [10, 5],
        [20, 4],
      ]),
      'none',
      3.5,
    );
    expect(x.kind).toBe('similar-to-liked');
    // 30's fans {2, 3} liked 10 twice (s ≈ 0.544) and 20 once (1/√4 · 1/2 = 0.25): 10 first.
    expect(x.because.map((b) => b.movieId)).toEqual([10, 20]);
    expect(x.text).toContain('T10');
    expect(e.explain(svd, 1, 30, new Map(), 'unknown-user', 3.5).kind).toBe('popular');
    expect(e.explain(svd, 1, 99, new Map([[10, 5]]), 'unknown-movie', 3.5).kind).toBe('new-movie');
  });
  it('falls back to a genre the user likes, and explains a list as it explains each item', () => {
    const genres = new Map<number, MovieInfo>([
      [10, { id: 10, title: 'T10', year: 2000, genres: ['Drama'] }],
      [20, { id: 20, title: 'T20', year: 2000, genres: ['Comedy'] }],
      [30, { id: 30, title: 'T30', year: 2000, genres: ['Comedy', 'Drama'] }],
      [40, { id: 40, title: 'T40', year: 2000, genres: ['Comedy'] }],
      [50, { id: 50, title: 'T50', year: 2000, genres: ['Horror'] }],
      [60, { id: 60, title: 'T60', year: 2000, genres: ['Comedy'] }],
    ]);
    const e = new Explainer(ratings, genres, { shrink: 1 });
    // Liked: two comedies (20, 60) and a drama; 40 and 50 have no liked neighbours among them.
    const mine = new Map([
      [20, 4],
      [60, 5],
      [10, 4],
      [30, 1],
    ]);
    const one = e.explain(svd, 9, 40, mine, 'none', 3.5);
    expect(one.kind).toBe('genre-taste');
    expect(one.text).toBe('Matches your taste for Comedy');
    // A genre liked only once is not a taste.
    expect(e.explain(svd, 9, 50, mine, 'none', 3.5).kind).toBe('people-like-you');
    const items = [40, 50, 30, 99].map((movieId) => ({ movieId, fallback: 'none' as const }));
    const oneByOne = items.map((i) => e.explain(svd, 9, i.movieId, mine, i.fallback, 3.5));
    expect(e.explainMany(svd, 9, items, mine, 3.5)).toEqual(oneByOne);
    expect(e.likedGenres(mine, 3.5)).toEqual(
      new Map([
        ['Comedy', 2],
        ['Drama', 1],
      ]),
    );
    expect(e.explainMany(svd, 9, items, mine, 3.5, e.likedGenres(mine, 3.5))).toEqual(oneByOne);
    // What a rebuilt explainer warms first: the movies explanations looked up, first asked first.
    expect(e.askedMovies()).toEqual([40, 50, 30, 99]);
  });
});
