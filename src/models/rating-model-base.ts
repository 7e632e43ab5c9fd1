import { halfStarScale, type RatingScale } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import { ratingsFingerprint } from '../data/ratings-data.ts';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { type FoldedUser, historyArrays, type UserPredictor } from './fold-in.ts';
import type { JsonValue, ModelArtifact, SectionArray } from './model-format.ts';
import { encodeModel } from './model-format.ts';
import type {
  FallbackKind,
  FitOptions,
  ModelParams,
  Prediction,
  RatingModel,
  Recommendation,
  RecommendOptions,
} from './rating-model.ts';

/*
 * The base every model extends: parameter specs and their checking, id mapping, fallbacks for
 * unknown users and movies, clipping, top-N, fold-in and saving. This file is long because that
 * shared flow is one class whose parts call each other; each model file then writes only its fit,
 * its estimate and its state.
 */

/** One hyperparameter: its default, what it means, and what values it accepts. */
export interface ParamSpec {
  /** Omitted only with `inherit`. */
  readonly default?: number | string | boolean;
  readonly doc: string;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (a learning rate must be > 0). */
  readonly above?: number;
  readonly integer?: boolean;
  readonly choices?: readonly string[];
  /**
   * Take the value of this other parameter when not given (Surprise's `lr_all` → `lr_bu`…), so a
   * tuner can move all learning rates together or one apart.
   */
  readonly inherit?: string;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The type of the values one spec accepts: one of its choices, a boolean, a string, or a number. */
export type ParamValueOf<S extends ParamSpec> = S extends { readonly choices: readonly (infer C)[] }
  ? C
  : S extends { readonly default: boolean }
    ? boolean
    : S extends { readonly default: string }
      ? string
      : number;

/**
 * The parameters a model accepts, typed from its specs (declared `as const satisfies ParamSpecs`):
 * every one optional, so a misspelt name or a value of the wrong type is a compile error.
 */
export type ParamsOf<S extends ParamSpecs> = { readonly [K in keyof S]?: ParamValueOf<S[K]> };

/**
 * Fills in defaults and checks every value; unknown names, wrong types and out-of-range values
 * throw InvalidInputError naming the model, the parameter and the value.
 */
export function resolveParams(kind: string, specs: ParamSpecs, given: ModelParams = {}): ModelParams {
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(specs, name)) {
      throw new InvalidInputError(
        `unknown parameter "${name}" for model ${kind} (known: ${Object.keys(specs).join(', ')})`,
      );
    }
  }
  const out: Record<string, number | string | boolean> = {};
  // Plain values first, then inherited ones, so `inherit` may name any parameter.
  const order = Object.keys(specs).sort((a, b) => Number(!!specs[a]!.inherit) - Number(!!specs[b]!.inherit));
  for (const name of order) {
    const spec = specs[name]!;
    const value = given[name] ?? (spec.inherit !== undefined ? out[spec.inherit] : spec.default);
    if (value === undefined) throw new Error(`parameter spec ${kind}.${name} has no default`);
    const bad = (why: string) =>
      new InvalidInputError(`parameter "${name}" of model ${kind} ${why} (got ${JSON.stringify(value)})`);
    if (spec.choices) {
      if (typeof value !== 'string' || !spec.choices.includes(value)) {
        throw bad(`must be one of ${spec.choices.join(', ')}`);
      }
    } else {
      const expected = typeof (spec.default ?? out[spec.inherit ?? '']);
      if (typeof value !== expected) throw bad(`must be a ${expected}`);
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw bad('must be a finite number');
        if (spec.integer && !Number.isInteger(value)) throw bad('must be an integer');
        if (spec.min !== undefined && value < spec.min) throw bad(`must be ≥ ${spec.min}`);
        if (spec.max !== undefined && value > spec.max) throw bad(`must be ≤ ${spec.max}`);
        if (spec.above !== undefined && !(value > spec.above)) throw bad(`must be > ${spec.above}`);
      }
    }
    out[name] = value;
  }
  // Keep the spec's order in the resolved object: it is what users read.
  return Object.freeze(Object.fromEntries(Object.keys(specs).map((k) => [k, out[k]!])));
}

/**
 * Training ratings after id mapping: dense user and movie indices (0…nUsers-1, 0…nMovies-1)
 * in the data's row order. Subclasses fit on this and never see raw ids.
 */
export interface DenseRatings {
  readonly size: number;
  readonly users: Int32Array;
  readonly movies: Int32Array;
  readonly ratings: Float32Array;
  readonly weights?: Float32Array;
  readonly nUsers: number;
  readonly nMovies: number;
  readonly globalMean: number;
}

/**
 * Raw id → dense index. Ids are usually small non-negative integers (MovieLens: < 300k), so a
 * typed lookup table is used when it stays small: a Map lookup per rating is a visible cost of a
 * fit and of every batch prediction.
 */
class IdIndex {
  private readonly table: Int32Array | null;
  private readonly map: Map<number, number> | null;

  constructor(values: Int32Array) {
    const max = values.length > 0 ? values[values.length - 1]! : -1;
    const min = values.length > 0 ? values[0]! : 0;
    if (min >= 0 && max < Math.max(1 << 20, values.length * 16)) {
      this.table = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < values.length; i++) this.table[values[i]!] = i;
      this.map = null;
    } else {
      this.table = null;
      this.map = new Map(Array.from(values, (id, i) => [id, i]));
    }
  }

  /** Dense index, or -1. */
  get(id: number): number {
    if (this.table) return id >= 0 && id < this.table.length ? this.table[id]! : -1;
    return this.map!.get(id) ?? -1;
  }
}

/**
 * Sorted distinct values of `ids` (of `ids[rows[k]]` with `rows`), by a presence table when the id
 * range is small: no sort needed.
 */
function distinctSorted(ids: Int32Array, rows?: Int32Array): Int32Array {
  const count = rows ? rows.length : ids.length;
  const at = rows ? (k: number) => ids[rows[k]!]! : (k: number) => ids[k]!;
  let min = 0;
  let max = -1;
  for (let k = 0; k < count; k++) {
    const id = at(k);
    if (k === 0 || id < min) min = id;
    if (k === 0 || id > max) max = id;
  }
  if (count > 0 && max - min < Math.max(1 << 20, count * 8)) {
    const present = new Uint8Array(max - min + 1);
    let n = 0;
    for (let k = 0; k < count; k++) {
      const j = at(k) - min;
      if (present[j] === 0) {
        present[j] = 1;
        n++;
      }
    }
    const out = new Int32Array(n);
    let w = 0;
    for (let j = 0; j < present.length; j++) if (present[j] === 1) out[w++] = j + min;
    return out;
  }
  const sorted = Int32Array.from({ length: count }, (_, k) => at(k)).sort();
  let n = 0;
  for (let k = 0; k < sorted.length; k++)
    if (k === 0 || sorted[k] !== sorted[k - 1]) sorted[n++] = sorted[k]!;
  return sorted.slice(0, n);
}

/** `column[rows[k]]` for every k, as a new array (the training side of a split, one column). */
function gather(column: Float32Array, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]!]!;
  return out;
}

/** Throws unless every row index is a row of data (a whole number in [0, size)). */
function checkRows(kind: string, rows: Int32Array, size: number): void {
  for (let k = 0; k < rows.length; k++) {
    const j = rows[k]!;
    if (!(j >= 0 && j < size)) {
      throw new InvalidInputError(
        `cannot fit model ${kind}: options.rows[${k}] is ${j}, not a row of the ${size} ratings`,
      );
    }
  }
}

/**
 * What every model shares: raw id ↔ dense index mapping (ids sorted, so the mapping does not depend
 * on row order), clipping to the rating scale, the fallback for a user or movie the model never
 * saw (reported in `Prediction.fallback`), batch prediction, a generic top-N over candidates, and
 * saving/loading through model-format.ts. A subclass writes `fitDense`, `estimate` and its
 * state's `saveState`/`loadState`; it may override `scoreMovies` for a faster top-N.
 */
export abstract class RatingModelBase implements RatingModel {
  abstract readonly kind: string;
  readonly params: ModelParams;
  readonly fitsRows = true;
  protected scale: RatingScale = halfStarScale;
  protected globalMean = 0;
  /** Dense index → raw id, ascending. */
  protected userIds: Int32Array = new Int32Array(0);
  protected movieIds: Int32Array = new Int32Array(0);
  private userIndex = new IdIndex(new Int32Array(0));
  private movieIndex = new IdIndex(new Int32Array(0));
  private lineage: Record<string, JsonValue> = {};
  private ready = false;

  constructor(params: ModelParams) {
    this.params = params;
  }

  get fitted(): boolean {
    return this.ready;
  }

  /**
   * Learn from `data` with dense indices. Call `this.epochDone(options, epoch)` after each epoch and
   * stop when it returns false; predictions must work from the first such call on.
   */
  protected abstract fitDense(data: DenseRatings, options: FitOptions): void;

  /**
   * The unclipped estimate for dense indices; `u` or `i` is -1 when unknown, and the model answers
   * with what it has (biases, global mean).
   */
  protected abstract estimate(u: number, i: number): number;

  /** The learned state as named arrays plus small JSON facts. */
  protected abstract saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> };

  /** Restores what `saveState` gave; mapping, scale and global mean are already restored. */
  protected abstract loadState(
    sections: ReadonlyMap<string, SectionArray>,
    meta: Readonly<Record<string, JsonValue>>,
  ): void;

  fit(data: RatingsData, options: FitOptions = {}): void {
    const rows = options.rows;
    if (rows) checkRows(this.kind, rows, data.size);
    const n = rows ? rows.length : data.size;
    if (n === 0) throw new InvalidInputError(`cannot fit model ${this.kind}: there are no ratings`);
    const userIds = distinctSorted(rows ? data.users : data.users.subarray(0, n), rows);
    const movieIds = distinctSorted(rows ? data.movies : data.movies.subarray(0, n), rows);
    const userIndex = new IdIndex(userIds);
    const movieIndex = new IdIndex(movieIds);
    const users = new Int32Array(n);
    const movies = new Int32Array(n);
    // With rows, only the ratings (and weights) are copied: the model needs them in training order.
    const ratings = rows ? gather(data.ratings, rows) : data.ratings.subarray(0, n);
    const weights = data.weights && (rows ? gather(data.weights, rows) : data.weights.subarray(0, n));
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const j = rows ? rows[k]! : k;
      const r = ratings[k]!;
      if (!Number.isFinite(r)) {
        throw new InvalidInputError(
          `cannot fit model ${this.kind}: rating ${k} (user ${data.users[j]}, movie ${data.movies[j]}) is ${r}`,
        );
      }
      sum += r;
      users[k] = userIndex.get(data.users[j]!);
      movies[k] = movieIndex.get(data.movies[j]!);
    }
    this.scale = data.scale;
    this.globalMean = sum / n;
    this.userIds = userIds;
    this.movieIds = movieIds;
    this.userIndex = userIndex;
    this.movieIndex = movieIndex;
    this.lineage = {
      ratingsFingerprint: ratingsFingerprint(data, rows),
      ratings: n,
      users: userIds.length,
      movies: movieIds.length,
      seed: options.seed ?? 0,
    };
    this.ready = false;
    const dense: DenseRatings = {
      size: n,
      users,
      movies,
      ratings,
      ...(weights ? { weights } : {}),
      nUsers: userIds.length,
      nMovies: movieIds.length,
      globalMean: this.globalMean,
    };
    // Ready before fitting so that epoch hooks can predict with the model as trained so far.
    this.ready = true;
    try {
      this.fitDense(dense, options);
    } catch (e) {
      this.ready = false;
      throw e;
    }
  }

  /** Reports a finished epoch; false means stop (the hook pruned the fit). */
  protected epochDone(options: FitOptions, epoch: number): boolean {
    return options.onEpoch?.(epoch) !== false;
  }

  /** Dense index of a raw user id, or -1. */
  protected userIndexOf(userId: number): number {
    return this.userIndex.get(userId);
  }

  protected movieIndexOf(movieId: number): number {
    return this.movieIndex.get(movieId);
  }

  /** Throws unless the model was fitted or loaded (also for models that override predict/recommend). */
  protected assertFitted(): void {
    if (!this.ready)
      throw new InvalidInputError(`model ${this.kind} is not fitted yet: fit or load it first`);
  }

  /** `predictMany`'s rule: user and movie ids pair up one to one. */
  protected assertPairs(userIds: Int32Array, movieIds: Int32Array): void {
    if (userIds.length !== movieIds.length) {
      throw new InvalidInputError(
        `predictMany needs as many user ids as movie ids (got ${userIds.length} and ${movieIds.length})`,
      );
    }
  }

  /** `recommend`'s rule on n. */
  protected assertTopN(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`n must be a whole number ≥ 0 (got ${n})`);
  }

  private clip(value: number): number {
    const { min, max } = this.scale;
    // A NaN estimate would be a model bug; answer the mean rather than poison a ranking.
    if (Number.isNaN(value)) return Math.min(Math.max(this.globalMean, min), max);
    return Math.min(Math.max(value, min), max);
  }

  predict(userId: number, movieId: number): Prediction {
    this.assertFitted();
    const u = this.userIndexOf(userId);
    const i = this.movieIndexOf(movieId);
    return { rating: this.clip(this.estimate(u, i)), fallback: fallbackKind(u, i) };
  }

  predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array {
    this.assertFitted();
    this.assertPairs(userIds, movieIds);
    const out = new Float32Array(userIds.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = this.clip(this.estimate(this.userIndexOf(userIds[k]!), this.movieIndexOf(movieIds[k]!)));
    }
    return out;
  }

  /**
   * Unclipped scores of dense movie indices `movies` (-1 = unknown movie) for dense user `u` (or -1)
   * into `out`. Models with a faster path (one dot product per movie over contiguous factors)
   * override it.
   */
  protected scoreMovies(u: number, movies: Int32Array, out: Float64Array): void {
    for (let k = 0; k < movies.length; k++) out[k] = this.estimate(u, movies[k]!);
  }

  /**
   * Top N by the unclipped estimate (so movies above the top of the scale still rank in order),
   * ties broken by the smaller movie id; each reported rating is clipped.
   */
  recommend(userId: number, options: RecommendOptions): Recommendation[] {
    this.assertFitted();
    const n = options.n;
    this.assertTopN(n);
    const u = this.userIndexOf(userId);
    const exclude = options.exclude;
    const { rawIds, dense } = this.candidateIndices(options.candidates);
    const scores = new Float64Array(dense.length);
    this.scoreMovies(u, dense, scores);
    const best = selectTop(rawIds, scores, n, exclude);
    return best.map((k) => ({
      movieId: rawIds[k]!,
      predictedRating: this.clip(scores[k]!),
      fallback: fallbackKind(u, dense[k]!),
    }));
  }

  /** Raw and dense ids of the candidates (default: every movie the model knows, dense = position). */
  private candidateIndices(candidates: readonly number[] | undefined): {
    rawIds: Int32Array;
    dense: Int32Array;
  } {
    if (candidates) {
      const rawIds = Int32Array.from(candidates);
      const dense = new Int32Array(rawIds.length);
      for (let k = 0; k < rawIds.length; k++) dense[k] = this.movieIndexOf(rawIds[k]!);
      return { rawIds, dense };
    }
    const dense = new Int32Array(this.movieIds.length);
    for (let k = 0; k < dense.length; k++) dense[k] = k;
    return { rawIds: this.movieIds, dense };
  }

  /**
   * The user part of a fold-in, from the history's movies the model knows (dense indices, each
   * once) and their ratings; undefined when the model has no per-user part to solve. Models
   * override it and document the rule and the loss.
   */
  protected foldInDense(_movies: Int32Array, _ratings: Float64Array): FoldedUser | undefined {
    return undefined;
  }

  /**
   * A predictor for a user the model did not train on, from their ratings: the history's movies
   * the model knows go to `foldInDense`; movies it never saw are left out. Undefined when no movie
   * of the history is known or the model cannot fold in.
   */
  foldIn(history: ReadonlyMap<number, number>): UserPredictor | undefined {
    this.assertFitted();
    const { movieIds, ratings } = historyArrays(this.kind, history);
    const dense = new Int32Array(movieIds.length);
    const known = new Float64Array(movieIds.length);
    let n = 0;
    for (let k = 0; k < movieIds.length; k++) {
      const i = this.movieIndexOf(movieIds[k]!);
      if (i < 0) continue;
      dense[n] = i;
      known[n] = ratings[k]!;
      n++;
    }
    if (n === 0) return undefined;
    const folded = this.foldInDense(dense.subarray(0, n), known.subarray(0, n));
    if (!folded) return undefined;
    const score = (movies: Int32Array, out: Float64Array) => {
      if (folded.scoreMovies) folded.scoreMovies(movies, out);
      else for (let k = 0; k < movies.length; k++) out[k] = folded.estimate(movies[k]!);
    };
    return {
      usedRatings: n,
      predict: (movieId: number): Prediction => {
        const i = this.movieIndexOf(movieId);
        return { rating: this.clip(folded.estimate(i)), fallback: i < 0 ? 'unknown-movie' : 'none' };
      },
      predictMany: (ids: Int32Array): Float32Array => {
        const movies = new Int32Array(ids.length);
        for (let k = 0; k < ids.length; k++) movies[k] = this.movieIndexOf(ids[k]!);
        const scores = new Float64Array(ids.length);
        score(movies, scores);
        return Float32Array.from(scores, (v) => this.clip(v));
      },
      recommend: (options: RecommendOptions): Recommendation[] => {
        const top = options.n;
        this.assertTopN(top);
        const { rawIds, dense: movies } = this.candidateIndices(options.candidates);
        const scores = new Float64Array(movies.length);
        score(movies, scores);
        return selectTop(rawIds, scores, top, options.exclude).map((k) => ({
          movieId: rawIds[k]!,
          predictedRating: this.clip(scores[k]!),
          fallback: movies[k]! < 0 ? 'unknown-movie' : 'none',
        }));
      },
    };
  }

  save(): Uint8Array {
    this.assertFitted();
    const state = this.saveState();
    const sections = new Map<string, SectionArray>([
      ['userIds', this.userIds],
      ['movieIds', this.movieIds],
    ]);
    for (const [name, a] of state.sections) {
      if (sections.has(name)) throw new Error(`model ${this.kind} uses the reserved section name ${name}`);
      sections.set(name, a);
    }
    const artifact: ModelArtifact = {
      kind: this.kind,
      params: this.params,
      meta: {
        globalMean: this.globalMean,
        scale: { min: this.scale.min, max: this.scale.max, step: this.scale.step },
        lineage: this.lineage,
        ...(state.meta ? { model: state.meta } : {}),
      },
      sections,
    };
    return encodeModel(artifact);
  }

  /** Restores a decoded artifact of this kind (used by the registry's `loadModel`). */
  restore(artifact: ModelArtifact): void {
    if (artifact.kind !== this.kind) {
      throw new ArtifactError(`artifact holds a ${artifact.kind} model, not ${this.kind}`);
    }
    const userIds = artifact.sections.get('userIds');
    const movieIds = artifact.sections.get('movieIds');
    const scale = artifact.meta.scale as { min: number; max: number; step: number } | undefined;
    const globalMean = artifact.meta.globalMean;
    if (
      !(userIds instanceof Int32Array) ||
      !(movieIds instanceof Int32Array) ||
      typeof globalMean !== 'number' ||
      typeof scale?.min !== 'number'
    ) {
      throw new ArtifactError(`${this.kind} artifact lacks its id maps, global mean or scale`);
    }
    this.userIds = userIds;
    this.movieIds = movieIds;
    this.userIndex = new IdIndex(userIds);
    this.movieIndex = new IdIndex(movieIds);
    this.globalMean = globalMean;
    this.scale = Object.freeze({ min: scale.min, max: scale.max, step: scale.step });
    this.lineage = (artifact.meta.lineage as Record<string, JsonValue> | undefined) ?? {};
    const modelMeta = (artifact.meta.model as Record<string, JsonValue> | undefined) ?? {};
    this.loadState(artifact.sections, modelMeta);
    this.ready = true;
  }

  /** Where the model came from: data fingerprint, sizes, seed (recorded at fit, kept in saves). */
  get trainedOn(): Readonly<Record<string, JsonValue>> {
    return this.lineage;
  }

  /** Number of users and movies the model knows. */
  get size(): { users: number; movies: number } {
    return { users: this.userIds.length, movies: this.movieIds.length };
  }
}

/**
 * Positions of the best n scores, best first, ties broken by the smaller raw id, skipping
 * `exclude`. A small sorted array: n is tiny next to the catalogue.
 */
function selectTop(
  rawIds: Int32Array,
  scores: Float64Array,
  n: number,
  exclude: ReadonlySet<number> | undefined,
): number[] {
  const best: number[] = [];
  const better = (a: number, b: number) =>
    scores[a]! > scores[b]! || (scores[a] === scores[b] && rawIds[a]! < rawIds[b]!);
  for (let k = 0; k < rawIds.length; k++) {
    if (n === 0) break;
    if (best.length === n && !better(k, best[n - 1]!)) continue;
    if (exclude?.has(rawIds[k]!)) continue;
    let pos = best.length === n ? n - 1 : best.length;
    while (pos > 0 && better(k, best[pos - 1]!)) {
      best[pos] = best[pos - 1]!;
      pos--;
    }
    best[pos] = k;
  }
  return best;
}

export function fallbackKind(u: number, i: number): FallbackKind {
  if (u < 0) return i < 0 ? 'unknown-both' : 'unknown-user';
  return i < 0 ? 'unknown-movie' : 'none';
}

/** A section of the expected type and length, or ArtifactError naming it. */
export function requireSection<T extends SectionArray>(
  kind: string,
  sections: ReadonlyMap<string, SectionArray>,
  name: string,
  type: new (n: number) => T,
  length?: number,
): T {
  const a = sections.get(name);
  if (!(a instanceof type)) throw new ArtifactError(`${kind} artifact lacks its ${name} section`);
  if (length !== undefined && a.length !== length) {
    throw new ArtifactError(`${kind} artifact section ${name} has ${a.length} values, expected ${length}`);
  }
  return a as T;
}
