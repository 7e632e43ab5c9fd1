import { likeThreshold } from '../data/rating-scale.ts';
import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import { InvalidInputError } from '../errors.ts';
import { type BlockScorer, blockScorer } from '../models/batch-top-k.ts';
import type { UserPredictor } from '../models/fold-in.ts';
import type { FallbackKind, RatingModel, Recommendation } from '../models/rating-model.ts';
import { Explainer, type Explanation } from './explain.ts';

export interface TopNFilters {
  /** Only movies of this genre (case-insensitive). */
  readonly genre?: string;
  /** Only movies released in or after this year. */
  readonly yearFrom?: number;
  /** Only movies released in or before this year. */
  readonly yearTo?: number;
}

export interface TopNRequest {
  readonly userId: number;
  /** How many (default 10). */
  readonly n?: number;
  readonly filters?: TopNFilters;
  /** Movies never to return, on top of the ones the user rated. */
  readonly exclude?: ReadonlySet<number>;
  /** Explanations cost a little; default true. */
  readonly explain?: boolean;
  /**
   * The user's ratings (movie → rating) as of now, when the caller has fresher ones than the
   * ratings the recommender was built on (a server reading them per request). Default: the
   * recommender's own.
   */
  readonly history?: ReadonlyMap<number, number>;
  /**
   * The ratings to fold a user the model never saw in from, when not all of `history` (a server
   * passes the most recent ones, so that a long history costs a bounded solve). Default: `history`.
   */
  readonly foldInHistory?: ReadonlyMap<number, number>;
  /** The movie ids of `history` as a set, when the caller keeps one (saves building it per call). */
  readonly rated?: ReadonlySet<number>;
}

export interface TopNItem {
  readonly rank: number;
  readonly movieId: number;
  readonly title: string;
  readonly year: number | null;
  readonly genres: readonly string[];
  readonly predictedRating: number;
  readonly fallback: FallbackKind;
  /** Null when explanations were not asked for. */
  readonly explanation: Explanation | null;
}

/** A user's top-N as plain data. */
export interface TopNResult {
  readonly userId: number;
  /** The model has never seen this user and nothing was folded in: the list is the fallback. */
  readonly newUser: boolean;
  /**
   * The model did not train on this user, but their current ratings were folded in (see
   * `RatingModel.foldIn`): the list is personal.
   */
  readonly foldedIn: boolean;
  /** Kind of the model that produced the list (the fallback model's for a new user, if one was given). */
  readonly model: string;
  /** A sentence for the user when the list is a fallback, else null. */
  readonly note: string | null;
  readonly items: readonly TopNItem[];
}

export interface TopNRecommenderOptions {
  readonly model: RatingModel;
  /** The ratings the user history comes from (usually what the model was trained on, or newer). */
  readonly ratings: RatingsData;
  readonly movies: ReadonlyMap<number, MovieInfo>;
  /** Answers for users the model never saw (e.g. `popularity` or `genre-popularity` fitted on the same ratings). */
  readonly fallbackModel?: RatingModel;
  /** Like line for explanations (default: by scale). */
  readonly threshold?: number;
}

/**
 * A user the model did not train on is folded in from their ratings when they have at least this
 * many (the model solves their parameters on the spot, see `RatingModel.foldIn`). One is enough:
 * on ml-latest-small, implicit-als folded in from a single rating already ranks a newcomer's later
 * liked movies better than the popularity list (NDCG@10 0.42 vs 0.37).
 */
export const MIN_FOLD_IN_RATINGS = 1;

/**
 * Folded-in users kept per recommender (least recently used dropped first). More new users than
 * this asking in turn would each be folded in again on every request, so it is sized for a busy
 * day between two retrains; an svd fold-in keeps about 3 KiB (2.3 KiB of heap and its factor
 * row), so 10,000 take about 30 MiB.
 */
const FOLD_IN_CACHE_SIZE = 10_000;

/**
 * Top-N movies a user has not rated, with predicted ratings and a short explanation each; genre and
 * year filters; a user the model did not train on is folded in from their current ratings (personal
 * picks at once); with no ratings at all they get the fallback model's list and are told so.
 * Everything per-user that can be precomputed is (each user's rated movies, the movies of each
 * genre, each movie's year; a folded-in user, until their ratings change), so
 * one call is the model's scoring of the catalogue plus a top-n selection — well under a millisecond
 * for a factor model on ml-latest-small. Build one per (model, data) and reuse it.
 */
export class TopNRecommender {
  private readonly model: RatingModel;
  private readonly fallbackModel: RatingModel | undefined;
  private readonly movies: ReadonlyMap<number, MovieInfo>;
  private readonly threshold: number;
  private readonly ratings: RatingsData;
  /** Per user: rated movie → rating. */
  private readonly history = new Map<number, Map<number, number>>();
  /** Lower-case genre → movie ids (ascending). */
  private readonly byGenre = new Map<string, Int32Array>();
  private readonly allIds: Int32Array;
  private explainer: Explainer | null = null;
  private scorer: BlockScorer | null = null;
  /** Folded-in users by id, with a fingerprint of the history they were folded from. */
  private readonly folded = new Map<number, { key: string; predictor: UserPredictor }>();

  constructor(options: TopNRecommenderOptions) {
    this.model = options.model;
    this.fallbackModel = options.fallbackModel;
    this.movies = options.movies;
    this.ratings = options.ratings;
    this.threshold = likeThreshold(options.ratings.scale, options.threshold);
    const r = options.ratings;
    for (let k = 0; k < r.size; k++) {
      let h = this.history.get(r.users[k]!);
      if (!h) {
        h = new Map();
        this.history.set(r.users[k]!, h);
      }
      h.set(r.movies[k]!, r.ratings[k]!);
    }
    this.allIds = Int32Array.from(options.movies.keys()).sort();
    const genreLists = new Map<string, number[]>();
    for (const id of this.allIds) {
      for (const g of options.movies.get(id)!.genres) {
        const key = g.toLowerCase();
        let list = genreLists.get(key);
        if (!list) {
          list = [];
          genreLists.set(key, list);
        }
        list.push(id);
      }
    }
    for (const [g, ids] of genreLists) this.byGenre.set(g, Int32Array.from(ids));
  }

  /** The explainer, built on first use (most callers that want only ids never pay for it). */
  private getExplainer(): Explainer {
    this.explainer ??= new Explainer(this.ratings, this.movies, { threshold: this.threshold });
    return this.explainer;
  }

  /** Movies passing the filters, or undefined when there are no filters (the model's own catalogue). */
  private candidates(filters: TopNFilters | undefined): number[] | undefined {
    if (
      !filters ||
      (filters.genre === undefined && filters.yearFrom === undefined && filters.yearTo === undefined)
    ) {
      return undefined;
    }
    const { genre, yearFrom, yearTo } = filters;
    for (const [name, v] of [
      ['yearFrom', yearFrom],
      ['yearTo', yearTo],
    ] as const) {
      if (v !== undefined && !Number.isInteger(v))
        throw new InvalidInputError(`${name} must be a whole year, got ${v}`);
    }
    if (yearFrom !== undefined && yearTo !== undefined && yearFrom > yearTo) {
      throw new InvalidInputError(`yearFrom (${yearFrom}) is after yearTo (${yearTo})`);
    }
    let ids = this.allIds;
    if (genre !== undefined) {
      const key = genre.trim().toLowerCase();
      const list = this.byGenre.get(key);
      if (!list) {
        throw new InvalidInputError(
          `genre ${JSON.stringify(genre)} is not in the catalogue (known: ${[...this.byGenre.keys()].sort().join(', ')})`,
        );
      }
      ids = list;
    }
    const out: number[] = [];
    const lo = yearFrom ?? Number.NEGATIVE_INFINITY;
    const hi = yearTo ?? Number.POSITIVE_INFINITY;
    const anyYear = yearFrom === undefined && yearTo === undefined;
    for (const id of ids) {
      if (!anyYear) {
        const year = this.movies.get(id)!.year;
        if (year === null || year < lo || year > hi) continue;
      }
      out.push(id);
    }
    return out;
  }

  /** A user's rated movies and ratings, as this recommender knows them. */
  userHistory(userId: number): ReadonlyMap<number, number> {
    return this.history.get(userId) ?? new Map();
  }

  /** Whether the model trained on this user (else a request folds them in, or falls back). */
  knowsUser(userId: number): boolean {
    // The model's fallback kind for any one movie says so.
    const probe = this.model.predict(userId, this.allIds[0] ?? -1).fallback;
    return probe !== 'unknown-user' && probe !== 'unknown-both';
  }

  recommend(request: TopNRequest): TopNResult {
    const n = request.n ?? 10;
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new InvalidInputError(`n must be a whole number from 1 to 1000, got ${n}`);
    }
    if (!Number.isSafeInteger(request.userId)) {
      throw new InvalidInputError(`userId must be a whole number, got ${request.userId}`);
    }
    const userId = request.userId;
    const history = request.history ?? this.userHistory(userId);
    let exclude: ReadonlySet<number> = request.rated ?? new Set(history.keys());
    if (request.exclude?.size) exclude = new Set([...exclude, ...request.exclude]);
    const candidates = this.candidates(request.filters);
    const ask = (model: RatingModel): Recommendation[] => {
      if (candidates && candidates.length === 0) return [];
      if (!candidates && model === this.model) return this.blockOfOne(userId, n, exclude);
      return model.recommend(userId, { n, exclude, ...(candidates ? { candidates } : {}) });
    };

    let model = this.model;
    let newUser = !this.knowsUser(userId);
    let foldedIn = false;
    const predictor = newUser ? this.foldIn(userId, request.foldInHistory ?? history) : undefined;
    let recs: Recommendation[];
    if (predictor) {
      recs =
        candidates && candidates.length === 0
          ? []
          : predictor.recommend({ n, exclude, ...(candidates ? { candidates } : {}) });
      newUser = false;
      foldedIn = true;
    } else {
      recs = ask(model);
      if (newUser && this.fallbackModel) {
        model = this.fallbackModel;
        recs = ask(model);
      }
    }
    const explanations =
      (request.explain ?? true)
        ? this.getExplainer().explainMany(
            model,
            userId,
            recs.map((r) => ({ movieId: r.movieId, fallback: newUser ? 'unknown-user' : r.fallback })),
            history,
            this.threshold,
          )
        : null;
    const items = this.items(recs, explanations);
    return {
      userId,
      newUser,
      foldedIn,
      model: model.kind,
      note: newUser
        ? `new user: no ratings from you were used to train the model, so these are ${model === this.model ? 'its' : `the ${model.kind}`} fallback picks; rate a few movies for personal ones`
        : null,
      items,
    };
  }

  /** The picks as top-N items, with the catalogue's title, year and genres and their reasons. */
  private items(recs: readonly Recommendation[], explanations: readonly Explanation[] | null): TopNItem[] {
    return recs.map((r, k): TopNItem => {
      const info = this.movies.get(r.movieId);
      return {
        rank: k + 1,
        movieId: r.movieId,
        title: info?.title ?? `movie ${r.movieId}`,
        year: info?.year ?? null,
        genres: info?.genres ?? [],
        predictedRating: r.predictedRating,
        fallback: r.fallback,
        explanation: explanations?.[k] ?? null,
      };
    });
  }

  /**
   * A known user's top-n over the whole catalogue through the batched top-k (the path evaluation
   * and reports take for many users; one user is a block of one), with the model's predictions.
   */
  private blockOfOne(userId: number, n: number, exclude: ReadonlySet<number>): Recommendation[] {
    this.scorer ??= blockScorer(this.model);
    const top = this.scorer.topK({
      users: Int32Array.of(userId),
      excludeStart: Int32Array.of(0, exclude.size),
      excludeMovies: Int32Array.from(exclude),
      k: n,
      // The ranker's choice: on the main thread a catalogue too big for a core's cache is split
      // between two threads (each core streams half the movie factors).
      threads: 0,
    });
    const recs: Recommendation[] = [];
    for (const movieId of top.movies) {
      if (movieId < 0) break;
      const p = this.model.predict(userId, movieId);
      recs.push({ movieId, predictedRating: p.rating, fallback: p.fallback });
    }
    return recs;
  }

  /**
   * The model's fold-in of a user it did not train on, from `history`, or undefined (too few
   * ratings, none the model knows, or a model without fold-in). Cached per user and history
   * (size plus a checksum of the pairs, so a new or changed rating refolds).
   */
  private foldIn(userId: number, history: ReadonlyMap<number, number>): UserPredictor | undefined {
    if (history.size < MIN_FOLD_IN_RATINGS || !this.model.foldIn) return undefined;
    let sum = 0;
    for (const [movieId, rating] of history)
      sum = (sum + Math.imul(movieId, 2654435761) * (rating + 0.25)) % 1e15;
    const key = `${history.size}:${sum}`;
    const cached = this.folded.get(userId);
    if (cached?.key === key) {
      // Refresh its place in the LRU order.
      this.folded.delete(userId);
      this.folded.set(userId, cached);
      return cached.predictor;
    }
    const predictor = this.model.foldIn(history);
    if (!predictor) return undefined;
    this.folded.delete(userId);
    this.folded.set(userId, { key, predictor });
    if (this.folded.size > FOLD_IN_CACHE_SIZE) this.folded.delete(this.folded.keys().next().value!);
    return predictor;
  }
}

/** One-off top-N (builds the precomputed state each time; keep a TopNRecommender for repeated calls). */
export function recommendTopN(options: TopNRecommenderOptions, request: TopNRequest): TopNResult {
  return new TopNRecommender(options).recommend(request);
}
