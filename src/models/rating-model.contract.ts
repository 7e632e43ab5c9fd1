import { describe, expect, it } from 'vitest';
import { halfStarScale, type RatingScale, wholeStarScale } from '../data/rating-scale.ts';
import { type RatingsData, ratingsDataFrom, subsetRatings } from '../data/ratings-data.ts';
import { createSyntheticWorld } from '../data/synthetic-world.ts';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { createModel, loadModel } from './model-registry.ts';
import type { ModelParams, RatingModel } from './rating-model.ts';

/**
 * Ratings with a known structure: rating = μ + user bias + movie bias + taste·features + noise,
 * rounded to the scale. A model that learns anything beats the global mean on held-out rows.
 * (Small and local on purpose: the contract must run in well under a second per model.)
 */
export function generateStructuredRatings(options: {
  users: number;
  movies: number;
  perUser: number;
  seed: number;
  scale?: RatingScale;
}): RatingsData {
  const scale = options.scale ?? halfStarScale;
  const rng = new Rng(options.seed);
  const dims = 3;
  const taste = Array.from({ length: options.users }, () =>
    Array.from({ length: dims }, () => rng.normal(0, 0.8)),
  );
  const features = Array.from({ length: options.movies }, () =>
    Array.from({ length: dims }, () => rng.normal(0, 0.8)),
  );
  const bu = Array.from({ length: options.users }, () => rng.normal(0, 0.4));
  const bi = Array.from({ length: options.movies }, () => rng.normal(0, 0.5));
  const rows: { user: number; movie: number; rating: number; timestamp: number }[] = [];
  const mid = (scale.min + scale.max) / 2 + 0.3;
  for (let u = 0; u < options.users; u++) {
    const seen = new Set<number>();
    while (seen.size < Math.min(options.perUser, options.movies)) {
      // Popular movies (low index) are rated more often, as in real data.
      const m = Math.floor(options.movies * rng.next() ** 1.5);
      if (seen.has(m)) continue;
      seen.add(m);
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += taste[u]![d]! * features[m]![d]!;
      const raw = mid + bu[u]! + bi[m]! + dot + rng.normal(0, 0.3);
      const snapped = scale.min + Math.round((raw - scale.min) / scale.step) * scale.step;
      // Raw ids are sparse and unordered on purpose: models must map them.
      rows.push({
        user: 1000 + u * 7,
        movie: 50_000 - m * 3,
        rating: Math.min(Math.max(snapped, scale.min), scale.max),
        timestamp: 1_600_000_000_000 + rows.length * 1000,
      });
    }
  }
  rng.shuffle(rows);
  return ratingsDataFrom(rows, scale);
}

/** Ratings drawn from the synthetic world (hidden MF tastes, genres, popularity). */
export function syntheticWorldRatings(options: {
  users: number;
  movies: number;
  total: number;
  seed: number;
}) {
  const world = createSyntheticWorld({ users: options.users, movies: options.movies, seed: options.seed });
  const rows: { user: number; movie: number; rating: number; timestamp: number }[] = [];
  for (const r of world.ratingsByUser(options.total, options.seed)) {
    for (let k = 0; k < r.movies.length; k++) {
      rows.push({ user: r.user, movie: r.movies[k]!, rating: r.ratings[k]!, timestamp: r.timestamps[k]! });
    }
  }
  return {
    data: ratingsDataFrom(rows, world.scale),
    movies: new Map(world.catalogue().map((m) => [m.id, m])),
  };
}

function split(
  data: RatingsData,
  seed: number,
): { train: RatingsData; test: RatingsData; trainRows: Int32Array } {
  const order = new Rng(seed).shuffle(Array.from({ length: data.size }, (_, k) => k));
  const cut = Math.floor(data.size * 0.8);
  const trainRows = Int32Array.from(order.slice(0, cut));
  return { train: subsetRatings(data, trainRows), test: subsetRatings(data, order.slice(cut)), trainRows };
}

function rmseOf(truth: Float32Array, predicted: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < truth.length; k++) s += (truth[k]! - predicted[k]!) ** 2;
  return Math.sqrt(s / truth.length);
}

export interface ContractOptions {
  /** Parameters for the contract runs (keep them small: the suite must stay fast). */
  readonly params?: ModelParams;
  /** Whether the seed changes the fit (false for deterministic-by-construction models). */
  readonly seeded?: boolean;
  /** Test RMSE must be below this fraction of the global mean's (default 0.9). */
  readonly beatsMeanRatio?: number;
  /** The same on synthetic-world ratings (default 0.95; 0.99 when beatsMeanRatio is set). */
  readonly syntheticWorldRatio?: number;
}

/**
 * The contract every RatingModel passes. A model's test file calls
 * `describeRatingModelContract('svd', { params: { n_factors: 8 } })`.
 */
export function describeRatingModelContract(kind: string, options: ContractOptions = {}): void {
  const params = options.params ?? {};
  const data = generateStructuredRatings({ users: 120, movies: 150, perUser: 40, seed: 11 });
  const { train, test, trainRows } = split(data, 5);
  const fitted = (seed = 1, d: RatingsData = train): RatingModel => {
    const m = createModel(kind, params);
    m.fit(d, { seed });
    return m;
  };

  describe(`RatingModel contract: ${kind} ${JSON.stringify(params)}`, () => {
    const model = fitted();
    const knownUser = train.users[0]!;
    const knownMovie = train.movies[0]!;

    it('reports its kind and complete parameters, and is fitted only after fit', () => {
      const fresh = createModel(kind, params);
      expect(fresh.kind).toBe(kind);
      expect(fresh.fitted).toBe(false);
      expect(() => fresh.predict(knownUser, knownMovie)).toThrow(InvalidInputError);
      for (const [k, v] of Object.entries(params)) expect(fresh.params[k]).toEqual(v);
      expect(model.fitted).toBe(true);
    });

    it('refuses to fit on no ratings, naming the model', () => {
      const empty = ratingsDataFrom([], halfStarScale);
      expect(() => createModel(kind, params).fit(empty)).toThrow(new RegExp(kind));
    });

    it('answers for an unknown user, an unknown movie and both, and says a fallback was used', () => {
      const known = model.predict(knownUser, knownMovie);
      expect(known.fallback).toBe('none');
      const cases = [
        [-5, knownMovie, 'unknown-user'],
        [knownUser, -7, 'unknown-movie'],
        [-5, -7, 'unknown-both'],
      ] as const;
      for (const [u, m, kindOfFallback] of cases) {
        const p = model.predict(u, m);
        expect(p.fallback).toBe(kindOfFallback);
        expect(Number.isFinite(p.rating)).toBe(true);
        expect(p.rating).toBeGreaterThanOrEqual(halfStarScale.min);
        expect(p.rating).toBeLessThanOrEqual(halfStarScale.max);
      }
      // Nothing known at all: the global mean of the training ratings.
      const mean = train.ratings.reduce((s, r) => s + r, 0) / train.size;
      expect(model.predict(-5, -7).rating).toBeCloseTo(mean, 4);
      const recs = model.recommend(-5, { n: 5 });
      expect(recs).toHaveLength(5);
      for (const r of recs) expect(r.fallback).toBe('unknown-user');
    });

    it('clips every prediction to the scale, on half-star and whole-star data', () => {
      const extremes = ratingsDataFrom(
        [
          ...Array.from({ length: 30 }, (_, k) => ({ user: 1, movie: k, rating: 5 })),
          ...Array.from({ length: 30 }, (_, k) => ({ user: 2, movie: k, rating: 5 })),
          ...Array.from({ length: 30 }, (_, k) => ({ user: 3, movie: 100 + k, rating: 1 })),
          ...Array.from({ length: 30 }, (_, k) => ({ user: 4, movie: 100 + k, rating: 1 })),
          { user: 5, movie: 0, rating: 3 },
          { user: 5, movie: 100, rating: 3 },
        ],
        wholeStarScale,
      );
      const m = fitted(3, extremes);
      const users = new Int32Array([1, 2, 3, 4, 5, 99]);
      const movies = new Int32Array([0, 5, 100, 105, 999]);
      for (const u of users) {
        for (const i of movies) {
          const r = m.predict(u, i).rating;
          expect(r).toBeGreaterThanOrEqual(1);
          expect(r).toBeLessThanOrEqual(5);
        }
      }
      const all = model.predictMany(test.users, test.movies);
      for (const r of all) {
        expect(r).toBeGreaterThanOrEqual(0.5);
        expect(r).toBeLessThanOrEqual(5);
      }
    });

    it('is deterministic under a seed', () => {
      const again = fitted(1).predictMany(test.users, test.movies);
      expect(again).toEqual(model.predictMany(test.users, test.movies));
      if (options.seeded !== false) {
        const other = fitted(2).predictMany(test.users, test.movies);
        expect(other).not.toEqual(again);
      }
    });

    it('fits on rows of the data in place exactly as on a copy of those rows, and checks them', () => {
      const inPlace = createModel(kind, params);
      expect(inPlace.fitsRows).toBe(true);
      inPlace.fit(data, { seed: 1, rows: trainRows });
      expect(inPlace.predictMany(test.users, test.movies)).toEqual(
        model.predictMany(test.users, test.movies),
      );
      // The saved bytes carry the lineage, with the training data's fingerprint.
      expect(inPlace.save()).toEqual(model.save());
      const bad = Int32Array.from([0, data.size]);
      expect(() => createModel(kind, params).fit(data, { rows: bad })).toThrow(/options\.rows\[1\]/);
      expect(() => createModel(kind, params).fit(data, { rows: new Int32Array(0) })).toThrow(
        InvalidInputError,
      );
    });

    it('predicts the same after save → load, and rejects damaged or foreign bytes', () => {
      const bytes = model.save();
      const loaded = loadModel(bytes);
      expect(loaded.kind).toBe(kind);
      expect(loaded.params).toEqual(model.params);
      expect(loaded.predictMany(test.users, test.movies)).toEqual(model.predictMany(test.users, test.movies));
      expect(loaded.predict(-5, knownMovie)).toEqual(model.predict(-5, knownMovie));
      expect(loaded.recommend(knownUser, { n: 10 })).toEqual(model.recommend(knownUser, { n: 10 }));
      expect(loadModel(loaded.save()).predictMany(test.users, test.movies)).toEqual(
        model.predictMany(test.users, test.movies),
      );
      const damaged = bytes.slice();
      damaged[Math.floor(damaged.length / 2)]! ^= 0x10;
      expect(() => loadModel(damaged)).toThrow(ArtifactError);
      expect(() => loadModel(bytes.subarray(0, 20))).toThrow(ArtifactError);
    });

    it('beats the global mean on held-out ratings with a known structure', () => {
      const mean = train.ratings.reduce((s, r) => s + r, 0) / train.size;
      const meanRmse = rmseOf(test.ratings, new Float32Array(test.size).fill(mean));
      const modelRmse = rmseOf(test.ratings, model.predictMany(test.users, test.movies));
      expect(modelRmse).toBeLessThan(meanRmse * (options.beatsMeanRatio ?? 0.9));
    });

    it('beats the global mean on ratings from the synthetic world', () => {
      const world = syntheticWorldRatings({ users: 150, movies: 120, total: 9000, seed: 17 });
      const parts = split(world.data, 3);
      const m = createModel(kind, params);
      m.fit(parts.train, { seed: 1, movies: world.movies });
      const mean = parts.train.ratings.reduce((s, r) => s + r, 0) / parts.train.size;
      const meanRmse = rmseOf(parts.test.ratings, new Float32Array(parts.test.size).fill(mean));
      const modelRmse = rmseOf(parts.test.ratings, m.predictMany(parts.test.users, parts.test.movies));
      // Noisier than the local generator (noise 0.55 before rounding): a smaller margin, and
      // models that declared themselves weak raters (a ranking or popularity model) only have to
      // beat the mean at all.
      const ratio = options.syntheticWorldRatio ?? (options.beatsMeanRatio === undefined ? 0.95 : 0.99);
      expect(modelRmse).toBeLessThan(meanRmse * ratio);
    });

    it('reports epochs to the hook, stops when it returns false, and can predict inside it', () => {
      const epochs: number[] = [];
      const m = createModel(kind, params);
      m.fit(train, {
        seed: 1,
        onEpoch: (epoch) => {
          epochs.push(epoch);
          expect(Number.isFinite(m.predict(knownUser, knownMovie).rating)).toBe(true);
          return undefined;
        },
      });
      expect(epochs.length).toBeGreaterThanOrEqual(1);
      expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, k) => k + 1));
      const stopped: number[] = [];
      const s = createModel(kind, params);
      s.fit(train, {
        seed: 1,
        onEpoch: (epoch) => {
          stopped.push(epoch);
          return false;
        },
      });
      expect(stopped).toEqual([1]);
      expect(s.fitted).toBe(true);
      expect(Number.isFinite(s.predict(knownUser, knownMovie).rating)).toBe(true);
    });

    it('recommends the best unseen movies in order, honouring exclusions and candidates', () => {
      const seen = new Set<number>();
      for (let k = 0; k < train.size; k++) if (train.users[k] === knownUser) seen.add(train.movies[k]!);
      const recs = model.recommend(knownUser, { n: 10, exclude: seen });
      expect(recs).toHaveLength(10);
      for (const r of recs) {
        expect(seen.has(r.movieId)).toBe(false);
        expect(r.predictedRating).toBeCloseTo(model.predict(knownUser, r.movieId).rating, 5);
      }
      for (let k = 1; k < recs.length; k++) {
        expect(recs[k]!.predictedRating).toBeLessThanOrEqual(recs[k - 1]!.predictedRating);
      }
      // The top pick is no worse than any other unseen movie.
      const movieIds = [...new Set(train.movies)].filter((m) => !seen.has(m));
      const best = Math.max(...movieIds.map((m) => model.predict(knownUser, m).rating));
      expect(recs[0]!.predictedRating).toBeCloseTo(best, 5);
      const candidates = movieIds.slice(0, 4).concat([-1]);
      const limited = model.recommend(knownUser, { n: 10, candidates });
      expect(limited.map((r) => r.movieId).sort()).toEqual([...candidates].sort());
      expect(limited.find((r) => r.movieId === -1)?.fallback).toBe('unknown-movie');
      expect(model.recommend(knownUser, { n: 0 })).toEqual([]);
    });

    it('folds in a user from their ratings: personal, clipped, ordered, same after save → load', () => {
      // Optional in RatingModel, but every model here has it (RatingModelBase).
      if (!model.foldIn) throw new Error(`model ${kind} has no foldIn`);
      const history = new Map<number, number>();
      for (let k = 0; k < train.size; k++)
        if (train.users[k] === knownUser) history.set(train.movies[k]!, train.ratings[k]!);
      const folded = model.foldIn(history);
      expect(folded).toBeDefined();
      expect(folded!.usedRatings).toBe(history.size);
      const recs = folded!.recommend({ n: 10, exclude: new Set(history.keys()) });
      expect(recs).toHaveLength(10);
      for (const r of recs) {
        expect(history.has(r.movieId)).toBe(false);
        expect(r.fallback).toBe('none');
        expect(r.predictedRating).toBeGreaterThanOrEqual(train.scale.min);
        expect(r.predictedRating).toBeLessThanOrEqual(train.scale.max);
        expect(r.predictedRating).toBeCloseTo(folded!.predict(r.movieId).rating, 5);
      }
      for (let k = 1; k < recs.length; k++) {
        expect(recs[k]!.predictedRating).toBeLessThanOrEqual(recs[k - 1]!.predictedRating);
      }
      expect(folded!.predict(-1).fallback).toBe('unknown-movie');
      const ids = Int32Array.from(history.keys());
      expect(loadModel(model.save()).foldIn!(history)!.predictMany(ids)).toEqual(folded!.predictMany(ids));
      expect(model.foldIn(new Map([[-1, 4]]))).toBeUndefined();
      expect(() => model.foldIn!(new Map([[knownMovie, Number.POSITIVE_INFINITY]]))).toThrow(
        InvalidInputError,
      );
    });
  });
}
