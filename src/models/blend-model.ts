import { clampToScale } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import { randomHoldoutSplit } from '../data/splits.ts';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { deriveSeed } from '../random/rng.ts';
import { historyArrays, type UserPredictor } from './fold-in.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type {
  FitOptions,
  ModelParams,
  Prediction,
  RatingModel,
  Recommendation,
  RecommendOptions,
} from './rating-model.ts';
import { type DenseRatings, fallbackKind, type ParamSpecs, RatingModelBase } from './rating-model-base.ts';

export const blendParamSpecs = {
  models: {
    default: 'svdpp,knn-baseline,baseline',
    doc: 'comma-separated registry names of the members (each at most once; not blend)',
  },
  member_params: {
    default: '{}',
    doc: 'JSON object: member name → its parameters, e.g. {"svd":{"n_factors":50}}',
  },
  holdout: {
    default: 0.1,
    above: 0,
    max: 0.5,
    doc: 'share of the training ratings held out to fit the weights',
  },
  ridge: { default: 0.001, min: 0, doc: 'ridge penalty on the weights, per held-out rating' },
} as const satisfies ParamSpecs;

/**
 * What a blend needs of the model registry, handed in by the registry itself (a blend builds and
 * loads other models; importing the registry here would make an import cycle).
 */
export interface MemberFactory {
  createModel(kind: string, params?: ModelParams): RatingModel;
  loadModel(bytes: Uint8Array): RatingModel;
  modelKinds(): string[];
}

/** A raw id no data set uses, standing for "the user (or movie) the blend does not know". */
const UNKNOWN_ID = -2147483648;

/**
 * `blend` — several models combined linearly, with weights fitted on ratings the members did not
 * train on (stacking; the approach of the Netflix-prize blends, here with a handful of members).
 *
 * Prediction: r̂(u,i) = w_0 + Σ_m w_m r̂_m(u,i), each member's r̂_m clipped to the scale; a user and
 * movie both unknown get the global mean (nothing to blend).
 * Fitting: a random `holdout` share of the training ratings (seeded) is put aside; every member is
 * fitted on the rest and predicts the held-out ratings; the weights minimise
 *   Σ_holdout (r − w_0 − Σ w_m r̂_m)² + ridge · n_holdout · Σ_m w_m²
 * (w_0 unpenalised; closed form on centred data). Then every member is refitted on ALL the training
 * ratings and the weights are kept. Nothing of the test data is looked at, so a cross-validated
 * score of a blend is honest.
 *
 * Fold-in (a user not trained on): every member folds the user in by its own rule, and their
 * predictions are blended with the fitted weights; a member that cannot fold in answers as for an
 * unknown user. Undefined when no member can.
 */
export class BlendModel extends RatingModelBase {
  readonly kind = 'blend';
  private members: RatingModel[] = [];
  private weights: Float64Array = new Float64Array(0);
  private intercept = 0;
  private readonly memberKinds: readonly string[];
  private readonly memberParams: Readonly<Record<string, ModelParams>>;

  private readonly factory: MemberFactory;

  constructor(params: ModelParams, factory: MemberFactory) {
    super(params);
    this.factory = factory;
    const kinds = String(params.models)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const known = factory.modelKinds();
    if (kinds.length === 0) throw new InvalidInputError('parameter "models" of model blend names no model');
    for (const k of kinds) {
      if (k === 'blend' || !known.includes(k)) {
        throw new InvalidInputError(
          `parameter "models" of model blend: unknown or unusable member "${k}" (known: ${known.filter((x) => x !== 'blend').join(', ')})`,
        );
      }
    }
    if (new Set(kinds).size !== kinds.length) {
      throw new InvalidInputError(`parameter "models" of model blend names a model twice (${params.models})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(params.member_params));
    } catch {
      throw new InvalidInputError(
        `parameter "member_params" of model blend is not JSON (got ${params.member_params})`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidInputError('parameter "member_params" of model blend must be a JSON object');
    }
    for (const name of Object.keys(parsed)) {
      if (!kinds.includes(name)) {
        throw new InvalidInputError(
          `parameter "member_params" of model blend names "${name}", which is not a member`,
        );
      }
    }
    this.memberKinds = kinds;
    this.memberParams = parsed as Record<string, ModelParams>;
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const seed = options.seed ?? 0;
    const raw = this.rawRatings(data);
    const split = randomHoldoutSplit(raw, {
      testFraction: this.params.holdout as number,
      seed: deriveSeed(seed, 'blend'),
    });
    const inner = subset(raw, split.trainIndices);
    const held = subset(raw, split.testIndices);
    const memberOptions = (m: number): FitOptions => ({
      seed: deriveSeed(seed, `member-${m}`),
      ...(options.movies ? { movies: options.movies } : {}),
    });
    const columns = this.memberKinds.map((kind, m) => {
      const model = this.factory.createModel(kind, this.memberParams[kind]);
      model.fit(inner, memberOptions(m));
      return model.predictMany(held.users, held.movies);
    });
    const { weights, intercept } = ridgeFit(columns, held.ratings, this.params.ridge as number);
    this.weights = weights;
    this.intercept = intercept;
    this.members = this.memberKinds.map((kind, m) => {
      const model = this.factory.createModel(kind, this.memberParams[kind]);
      model.fit(raw, memberOptions(m));
      return model;
    });
    this.epochDone(options, 1);
  }

  /** The training ratings with raw ids again (members map ids themselves). */
  private rawRatings(data: DenseRatings): RatingsData {
    const users = new Int32Array(data.size);
    const movies = new Int32Array(data.size);
    for (let k = 0; k < data.size; k++) {
      users[k] = this.userIds[data.users[k]!]!;
      movies[k] = this.movieIds[data.movies[k]!]!;
    }
    return {
      size: data.size,
      users,
      movies,
      ratings: data.ratings,
      timestamps: new Float64Array(data.size),
      scale: this.scale,
      ...(data.weights ? { weights: data.weights } : {}),
    };
  }

  /** Weights per member, and the intercept, as fitted (plain data for reports). */
  get blendWeights(): { intercept: number; members: { kind: string; weight: number }[] } {
    return {
      intercept: this.intercept,
      members: this.memberKinds.map((kind, m) => ({ kind, weight: this.weights[m]! })),
    };
  }

  protected estimate(u: number, i: number): number {
    if (u < 0 && i < 0) return this.globalMean;
    const userId = u >= 0 ? this.userIds[u]! : UNKNOWN_ID;
    const movieId = i >= 0 ? this.movieIds[i]! : UNKNOWN_ID;
    let est = this.intercept;
    for (let m = 0; m < this.members.length; m++)
      est += this.weights[m]! * this.members[m]!.predict(userId, movieId).rating;
    return est;
  }

  /** Blended, unclipped values for pairs of raw ids (members predict in batches: their fast path). */
  private blendMany(userIds: Int32Array, movieIds: Int32Array): Float64Array {
    const out = new Float64Array(userIds.length).fill(this.intercept);
    for (let m = 0; m < this.members.length; m++) {
      const p = this.members[m]!.predictMany(userIds, movieIds);
      const w = this.weights[m]!;
      for (let k = 0; k < out.length; k++) out[k]! += w * p[k]!;
    }
    for (let k = 0; k < out.length; k++) {
      if (this.userIndexOf(userIds[k]!) < 0 && this.movieIndexOf(movieIds[k]!) < 0) out[k] = this.globalMean;
    }
    return out;
  }

  override predict(userId: number, movieId: number): Prediction {
    this.assertFitted();
    const value = this.blendMany(Int32Array.of(userId), Int32Array.of(movieId))[0]!;
    return {
      rating: clampToScale(this.scale, value),
      fallback: fallbackKind(this.userIndexOf(userId), this.movieIndexOf(movieId)),
    };
  }

  override predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array {
    this.assertFitted();
    this.assertPairs(userIds, movieIds);
    const values = this.blendMany(userIds, movieIds);
    const out = new Float32Array(values.length);
    for (let k = 0; k < out.length; k++) out[k] = clampToScale(this.scale, values[k]!);
    return out;
  }

  override recommend(userId: number, options: RecommendOptions): Recommendation[] {
    this.assertFitted();
    const n = options.n;
    this.assertTopN(n);
    const candidates = Int32Array.from(options.candidates ?? this.movieIds).filter(
      (m) => !options.exclude?.has(m),
    );
    const values = this.blendMany(new Int32Array(candidates.length).fill(userId), candidates);
    const order = Array.from(candidates.keys()).sort(
      (a, b) => values[b]! - values[a]! || candidates[a]! - candidates[b]!,
    );
    const u = this.userIndexOf(userId);
    return order.slice(0, n).map((k) => ({
      movieId: candidates[k]!,
      predictedRating: clampToScale(this.scale, values[k]!),
      fallback: fallbackKind(u, this.movieIndexOf(candidates[k]!)),
    }));
  }

  override foldIn(history: ReadonlyMap<number, number>): UserPredictor | undefined {
    this.assertFitted();
    historyArrays(this.kind, history);
    const folded = this.members.map((m) => m.foldIn?.(history));
    if (folded.every((f) => f === undefined)) return undefined;
    const blend = (movieIds: Int32Array): Float64Array => {
      const out = new Float64Array(movieIds.length).fill(this.intercept);
      this.members.forEach((member, m) => {
        const f = folded[m];
        const p = f
          ? f.predictMany(movieIds)
          : member.predictMany(new Int32Array(movieIds.length).fill(UNKNOWN_ID), movieIds);
        const w = this.weights[m]!;
        for (let k = 0; k < out.length; k++) out[k]! += w * p[k]!;
      });
      return out;
    };
    const fallback = (movieId: number) => (this.movieIndexOf(movieId) < 0 ? 'unknown-movie' : 'none');
    return {
      usedRatings: Math.max(...folded.map((f) => f?.usedRatings ?? 0)),
      predict: (movieId) => ({
        rating: clampToScale(this.scale, blend(Int32Array.of(movieId))[0]!),
        fallback: fallback(movieId),
      }),
      predictMany: (movieIds) => Float32Array.from(blend(movieIds), (v) => clampToScale(this.scale, v)),
      recommend: (options) => {
        const n = options.n;
        this.assertTopN(n);
        const candidates = Int32Array.from(options.candidates ?? this.movieIds).filter(
          (m) => !options.exclude?.has(m),
        );
        const values = blend(candidates);
        const order = Array.from(candidates.keys()).sort(
          (a, b) => values[b]! - values[a]! || candidates[a]! - candidates[b]!,
        );
        return order.slice(0, n).map((k) => ({
          movieId: candidates[k]!,
          predictedRating: clampToScale(this.scale, values[k]!),
          fallback: fallback(candidates[k]!),
        }));
      },
    };
  }

  /** The fitted members (read-only use: explanations, reports). */
  get memberModels(): readonly RatingModel[] {
    return this.members;
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    const sections = new Map<string, SectionArray>([['weights', this.weights]]);
    this.members.forEach((m, k) => {
      sections.set(`member${k}`, m.save());
    });
    return { sections, meta: { intercept: this.intercept } };
  }

  protected loadState(
    sections: ReadonlyMap<string, SectionArray>,
    meta: Readonly<Record<string, JsonValue>>,
  ): void {
    const weights = sections.get('weights');
    if (!(weights instanceof Float64Array) || weights.length !== this.memberKinds.length) {
      throw new ArtifactError(`blend artifact lacks the weights of its ${this.memberKinds.length} members`);
    }
    if (typeof meta.intercept !== 'number') throw new ArtifactError('blend artifact lacks its intercept');
    this.members = this.memberKinds.map((kind, k) => {
      const bytes = sections.get(`member${k}`);
      if (!(bytes instanceof Uint8Array))
        throw new ArtifactError(`blend artifact lacks member ${k} (${kind})`);
      const model = this.factory.loadModel(bytes);
      if (model.kind !== kind)
        throw new ArtifactError(`blend member ${k} is a ${model.kind} model, expected ${kind}`);
      return model;
    });
    this.weights = weights;
    this.intercept = meta.intercept;
  }
}

function subset(data: RatingsData, indices: Int32Array): RatingsData {
  const n = indices.length;
  const users = new Int32Array(n);
  const movies = new Int32Array(n);
  const ratings = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const j = indices[k]!;
    users[k] = data.users[j]!;
    movies[k] = data.movies[j]!;
    ratings[k] = data.ratings[j]!;
  }
  return { size: n, users, movies, ratings, timestamps: new Float64Array(n), scale: data.scale };
}

/**
 * Ridge regression with an unpenalised intercept: centre the columns and target, solve
 * (XᵀX + λ n I) w = Xᵀy by Gaussian elimination with partial pivoting (M is a handful), then
 * w_0 = ȳ − Σ w_m x̄_m.
 */
export function ridgeFit(
  columns: readonly Float32Array[],
  target: Float32Array,
  ridge: number,
): { weights: Float64Array; intercept: number } {
  const m = columns.length;
  const n = target.length;
  if (n === 0) throw new InvalidInputError('cannot fit blend weights on no held-out ratings');
  const means = columns.map((c) => c.reduce((s, v) => s + v, 0) / n);
  const yMean = target.reduce((s, v) => s + v, 0) / n;
  const a = Array.from({ length: m }, () => new Float64Array(m + 1));
  for (let p = 0; p < m; p++) {
    for (let q = p; q < m; q++) {
      let s = 0;
      const cp = columns[p]!;
      const cq = columns[q]!;
      for (let k = 0; k < n; k++) s += (cp[k]! - means[p]!) * (cq[k]! - means[q]!);
      a[p]![q] = s;
      a[q]![p] = s;
    }
    a[p]![p]! += ridge * n + 1e-12;
    let s = 0;
    for (let k = 0; k < n; k++) s += (columns[p]![k]! - means[p]!) * (target[k]! - yMean);
    a[p]![m] = s;
  }
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const row = a[col]!;
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / row[col]!;
      if (f === 0) continue;
      for (let c = col; c <= m; c++) a[r]![c]! -= f * row[c]!;
    }
  }
  const weights = new Float64Array(m);
  for (let p = 0; p < m; p++) weights[p] = a[p]![m]! / a[p]![p]!;
  let intercept = yMean;
  for (let p = 0; p < m; p++) intercept -= weights[p]! * means[p]!;
  return { weights, intercept };
}
