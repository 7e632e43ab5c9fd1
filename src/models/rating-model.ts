import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { UserPredictor } from './fold-in.ts';

/** Hyperparameters: flat, JSON-serialisable. */
export type ModelParams = Readonly<Record<string, number | string | boolean>>;

/** Why a prediction did not come from the model's learned parameters for this pair. */
export type FallbackKind = 'none' | 'unknown-user' | 'unknown-movie' | 'unknown-both';

export interface Prediction {
  /** Clipped to the rating scale. */
  readonly rating: number;
  readonly fallback: FallbackKind;
}

export interface FitOptions {
  /** Every random choice (initialisation, shuffling) derives from this; default 0. */
  readonly seed?: number;
  /**
   * Called after each epoch by iterative models (after the whole fit by the others, as epoch 1).
   * Returning `false` stops training early (a pruned tuning trial); the model is then usable as
   * trained so far.
   */
  readonly onEpoch?: (epoch: number) => boolean | undefined;
  /** Catalogue facts for models that use them (genre-aware cold start). */
  readonly movies?: ReadonlyMap<number, MovieInfo>;
  /**
   * Fit on these rows of the data only, in this order: the same model (and lineage fingerprint) as
   * fitting `subsetRatings(data, rows)`, without copying the columns — how a holdout or a
   * cross-validation fold trains (20 bytes per training rating saved; only the ratings are copied).
   * Honoured by models whose `fitsRows` is true (every model extending RatingModelBase).
   */
  readonly rows?: Int32Array;
}

export interface RecommendOptions {
  readonly n: number;
  /** Movies never to return (usually the ones the user rated). */
  readonly exclude?: ReadonlySet<number>;
  /** Restrict to these movies (a genre or year filter); default: every movie the model knows. */
  readonly candidates?: readonly number[];
}

export interface Recommendation {
  readonly movieId: number;
  readonly predictedRating: number;
  readonly fallback: FallbackKind;
}

/**
 * A rating model: learns from ratings, predicts a user's rating of a movie, recommends the top N.
 * Implementations live one per file in this folder and are created by name through
 * `model-registry.ts`. Every implementation passes the shared contract suite.
 */
export interface RatingModel {
  /** Registry name, e.g. `svd`. */
  readonly kind: string;
  /** The full parameter set in force (defaults filled in). */
  readonly params: ModelParams;
  /** True once fit (or loaded). */
  readonly fitted: boolean;
  /**
   * True when `fit` honours `FitOptions.rows`. Callers that pass rows check it and fit a model
   * without it on `subsetRatings(data, rows)` instead (`fitOnRows` in evaluation/holdout.ts).
   */
  readonly fitsRows?: boolean;
  fit(data: RatingsData, options?: FitOptions): void;
  predict(userId: number, movieId: number): Prediction;
  /** Predictions for many pairs at once (the hot path of evaluation). */
  predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array;
  recommend(userId: number, options: RecommendOptions): Recommendation[];
  /** The versioned, checksummed binary form (see model-format.ts). */
  save(): Uint8Array;
  /**
   * Fold-in: a predictor for a user the model did not train on, from that user's ratings
   * (movie → rating) against the model's fixed movie parameters, without refitting. Undefined when
   * the model cannot (no known movie in the history, or a model without a per-user part). Each
   * model documents its rule and loss; see docs/models.md, "New users: fold-in".
   */
  foldIn?(history: ReadonlyMap<number, number>): UserPredictor | undefined;
}
