import { describe, expect, it } from 'vitest';
import { clampToScale, halfStarScale } from '../data/rating-scale.ts';
import { type RatingsData, ratingsDataFrom } from '../data/ratings-data.ts';
import { kFoldSplits, materializeSplit } from '../data/splits.ts';
import { InvalidInputError } from '../errors.ts';
import { calibrateCutoff, likedAccuracy, rmse } from '../metrics/rating-metrics.ts';
import { createModel } from '../models/model-registry.ts';
import type {
  FitOptions,
  Prediction,
  RatingModel,
  Recommendation,
  RecommendOptions,
} from '../models/rating-model.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { crossValidate } from './cross-validate.ts';
import { rankFold } from './fold-ranking.ts';

/**
 * A small real model for testing the evaluation flow on its own: global mean plus movie bias,
 * fitted by `epochs` passes that each move the biases half-way to their target (so it is
 * iterative and gets better per epoch, like the models the hook exists for).
 */
class MovieBiasModel implements RatingModel {
  readonly kind = 'test-movie-bias';
  readonly params: { epochs: number };
  fitted = false;
  private mean = 0;
  private bias = new Map<number, number>();
  private scale = halfStarScale;
  constructor(params: { epochs?: number } = {}) {
    this.params = { epochs: params.epochs ?? 4 };
  }
  fit(data: RatingsData, options: FitOptions = {}): void {
    this.scale = data.scale;
    let sum = 0;
    for (const r of data.ratings) sum += r;
    this.mean = sum / data.size;
    const sums = new Map<number, [number, number]>();
    for (let i = 0; i < data.size; i++) {
      const s = sums.get(data.movies[i]!) ?? [0, 0];
      s[0] += data.ratings[i]! - this.mean;
      s[1] += 1;
      sums.set(data.movies[i]!, s);
    }
    this.fitted = true;
    for (let e = 1; e <= this.params.epochs; e++) {
      for (const [m, [s, n]] of sums) {
        const target = s / (n + 2);
        const b = this.bias.get(m) ?? 0;
        this.bias.set(m, b + (target - b) / 2);
      }
      if (options.onEpoch?.(e) === false) break;
    }
  }
  predict(_userId: number, movieId: number): Prediction {
    const b = this.bias.get(movieId);
    return {
      rating: clampToScale(this.scale, this.mean + (b ?? 0)),
      fallback: b === undefined ? 'unknown-movie' : 'none',
    };
  }
  predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array {
    const out = new Float32Array(userIds.length);
    for (let i = 0; i < out.length; i++) out[i] = this.predict(userIds[i]!, movieIds[i]!).rating;
    return out;
  }
  recommend(userId: number, options: RecommendOptions): Recommendation[] {
    const movies = options.candidates ?? [...this.bias.keys()];
    return movies
      .filter((m) => !options.exclude?.has(m))
      .map((m) => ({
        movieId: m,
        predictedRating: this.predict(userId, m).rating,
        fallback: 'none' as const,
      }))
      .sort((a, b) => b.predictedRating - a.predictedRating || a.movieId - b.movieId)
      .slice(0, options.n);
  }
  save(): Uint8Array {
    return new Uint8Array();
  }
}

const make = (_kind: string, params?: Record<string, unknown>) =>
  new MovieBiasModel(params as { epochs?: number } | undefined);

/** Movies with a clear quality each, rated with noise by 60 users. */
function world(seed = 1): RatingsData {
  const rng = new Rng(seed);
  const rows: { user: number; movie: number; rating: number; timestamp: number }[] = [];
  for (let u = 1; u <= 60; u++) {
    for (let m = 1; m <= 40; m++) {
      if (rng.next() < 0.5) continue;
      const quality = 1 + (m % 9) * 0.5;
      const r = Math.round(Math.min(5, Math.max(0.5, quality + rng.normal(0, 0.5))) * 2) / 2;
      rows.push({ user: u, movie: m, rating: Math.max(0.5, r), timestamp: rows.length * 1000 });
    }
  }
  return ratingsDataFrom(rows, halfStarScale);
}

// This suite is long because it holds one case per behaviour.
describe('crossValidate', () => {
  const data = world();
  it('fits a library model on the training rows in place, as on a copy of them', async () => {
    const result = await crossValidate({
      kind: 'svd',
      params: { n_factors: 4, n_epochs: 3 },
      data,
      folds: 3,
      seed: 4,
    });
    const split = kFoldSplits(data, { folds: 3, seed: 4 })[1]!;
    const { train, test } = materializeSplit(data, split);
    const m = createModel('svd', { n_factors: 4, n_epochs: 3 });
    m.fit(train, { seed: deriveSeed(4, 1) });
    expect(result.folds[1]!.trainSize).toBe(train.size);
    expect(result.folds[1]!.rmse).toBe(rmse(test.ratings, m.predictMany(test.users, test.movies)));
    expect(result.folds[1]!.ranking).toEqual(
      rankFold(m, train, test, 3.5, 10, { seed: deriveSeed(4, 'ranking-1') }).metrics,
    );
  });

  it('returns per-fold and mean metrics, matching a hand-run fold', async () => {
    const result = await crossValidate({ kind: 'test', data, folds: 5, seed: 3, createModel: make });
    expect(result.folds).toHaveLength(5);
    expect(result.split).toBe('5-fold');
    expect(result.threshold).toBe(3.5);
    // Recompute fold 2 by hand with the same folds.
    const { train, test } = materializeSplit(data, kFoldSplits(data, { folds: 5, seed: 3 })[2]!);
    const m = make('test');
    m.fit(train);
    expect(result.folds[2]!.rmse).toBeCloseTo(rmse(test.ratings, m.predictMany(test.users, test.movies)), 10);
    const meanRmse = result.folds.reduce((s, f) => s + f.rmse, 0) / 5;
    expect(result.rmse).toBeCloseTo(meanRmse, 12);
    expect(result.accuracy).toBeGreaterThan(result.baselineAccuracy);
    expect(result.ndcg).toBeGreaterThan(0);
    expect(result.ndcg).toBeLessThanOrEqual(1);
    expect(result.coverage).toBeGreaterThan(0);
    expect(result.folds[0]!.epochs).toBe(4);
    expect(result.fitSeconds).toBeGreaterThanOrEqual(0);
  });
  it('same seed, same result', async () => {
    const a = await crossValidate({ kind: 'test', data, seed: 9, createModel: make, ranking: false });
    const b = await crossValidate({ kind: 'test', data, seed: 9, createModel: make, ranking: false });
    expect(a.folds.map((f) => f.rmse)).toEqual(b.folds.map((f) => f.rmse));
    expect(a.ndcg).toBeNull();
  });
  it('the epoch hook sees each fold and epoch with a usable model, and can stop', async () => {
    const seen: string[] = [];
    const scores: number[] = [];
    const result = await crossValidate({
      kind: 'test',
      data,
      folds: 3,
      createModel: make,
      ranking: false,
      onEpoch: (fold, epoch, model, validation) => {
        seen.push(`${fold}:${epoch}`);
        scores.push(rmse(validation.ratings, model.predictMany(validation.users, validation.movies)));
        return !(fold === 1 && epoch === 2);
      },
    });
    expect(seen).toEqual(['0:1', '0:2', '0:3', '0:4', '1:1', '1:2']);
    // Validation error falls epoch by epoch (the bias moves towards its target).
    expect(scores[3]!).toBeLessThan(scores[0]!);
    expect(result.stopped).toBe(true);
    expect(result.folds).toHaveLength(2);
    expect(result.folds[1]!.epochs).toBe(2);
  });
  it('named splits', async () => {
    for (const split of ['holdout', 'user', 'temporal'] as const) {
      const r = await crossValidate({ kind: 'test', data, split, createModel: make });
      expect(r.folds).toHaveLength(1);
      expect(r.split).toBe(split);
      expect(r.rmse).toBeLessThan(1.2);
    }
  });
  it('reports accuracy at a cut-off calibrated on training predictions when asked', async () => {
    const plain = await crossValidate({ kind: 'test', data, createModel: make, ranking: false });
    expect(plain.calibratedAccuracy).toBeNull();
    const r = await crossValidate({
      kind: 'test',
      data,
      createModel: make,
      calibrateCutoff: true,
      ranking: false,
    });
    expect(r.accuracy).toBe(plain.accuracy);
    const fold = r.folds[0]!;
    const { train, test } = materializeSplit(data, kFoldSplits(data, { folds: 5, seed: 0 })[0]!);
    const m = make('test');
    m.fit(train);
    const cut = calibrateCutoff(train.ratings, m.predictMany(train.users, train.movies), 3.5);
    expect(fold.cutoff).toBe(cut);
    expect(fold.calibratedAccuracy).toBe(
      likedAccuracy(test.ratings, m.predictMany(test.users, test.movies), 3.5, cut),
    );
  });
  it('ranks a seeded sample of users only when asked, and says so', async () => {
    const all = await crossValidate({ kind: 'test', data, folds: 2, seed: 5, createModel: make });
    expect(all.rankingUsers).toBeNull();
    for (const f of all.folds) expect(f.rankingUsers).toBe(f.rankingCandidates);
    expect(all.folds[0]!.rankingCandidates).toBeGreaterThan(20);
    const run = () =>
      crossValidate({ kind: 'test', data, folds: 2, seed: 5, createModel: make, rankingUsers: 20 });
    const a = await run();
    const b = await run();
    expect(a.rankingUsers).toBe(20);
    expect(a.folds.map((f) => f.rankingUsers)).toEqual([20, 20]);
    expect(a.folds[0]!.rankingCandidates).toBe(all.folds[0]!.rankingCandidates);
    expect(a.folds[0]!.ranking!.users).toBe(20);
    expect(a.ndcg).toBe(b.ndcg);
    // The rating metrics do not depend on the sample.
    expect(a.rmse).toBe(all.rmse);
    // A different seed samples different users.
    const c = await crossValidate({
      kind: 'test',
      data,
      folds: 2,
      seed: 6,
      createModel: make,
      rankingUsers: 20,
    });
    const d = await crossValidate({ kind: 'test', data, folds: 2, seed: 6, createModel: make });
    expect(c.ndcg).not.toBe(d.ndcg);
    await expect(crossValidate({ kind: 'test', data, createModel: make, rankingUsers: 0 })).rejects.toThrow(
      /rankingUsers must be a whole number ≥ 1, got 0/,
    );
  });
  it('rejects bad options, naming them', async () => {
    await expect(crossValidate({ kind: 'test', data, k: 0, createModel: make })).rejects.toThrow(/k must be/);
    await expect(
      crossValidate({ kind: 'test', data, split: 'nope' as 'user', createModel: make }),
    ).rejects.toThrow(InvalidInputError);
    await expect(crossValidate({ kind: 'test', data, folds: 1, createModel: make })).rejects.toThrow(/folds/);
  });
});
