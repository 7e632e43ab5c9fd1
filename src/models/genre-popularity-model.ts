import { clampToScale } from '../data/rating-scale.ts';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { fitAlsBiases } from './baseline-model.ts';
import { historyArrays, type UserPredictor } from './fold-in.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type {
  FitOptions,
  ModelParams,
  Prediction,
  Recommendation,
  RecommendOptions,
} from './rating-model.ts';
import {
  type DenseRatings,
  fallbackKind,
  type ParamSpecs,
  RatingModelBase,
  requireSection,
} from './rating-model-base.ts';

export const genrePopularityParamSpecs = {
  n_epochs: { default: 10, integer: true, min: 1, max: 1000, doc: 'ALS passes of the biases' },
  reg_u: { default: 15, min: 0, doc: 'regularisation of user biases' },
  reg_i: {
    default: 25,
    min: 0,
    doc: 'regularisation of movie biases (high: a movie needs many ratings to rank first)',
  },
  reg_g: { default: 10, min: 0, doc: 'regularisation of genre biases (for movies nobody rated)' },
  reg_ug: { default: 5, min: 0, doc: 'regularisation of a user’s taste for a genre' },
} as const satisfies ParamSpecs;

/** MovieLens's marker for a movie without genres: not a genre. */
const NO_GENRES = '(no genres listed)';

/** At most this many genres: they are kept as bits of an Int32 per movie. */
const MAX_GENRES = 31;

/**
 * `genre-popularity` — the cold-start model: it answers with what it has, and uses the catalogue's
 * genres for what it lacks.
 *
 * Prediction: r̂(u,i) = μ + b_u + b_i + t_u(G_i), where G_i is the movie's set of genres and
 * t_u(G) = mean over g ∈ G of the user's genre taste t_ug.
 * - A movie nobody rated but the catalogue knows: b_i is replaced by the genre bias mean over G_i
 *   of β_g (reported as the `unknown-movie` fallback, since no rating of it was seen).
 * - A new user: b_u = 0 and no taste, so r̂ = μ + b_i — the well-rated movies with many ratings
 *   (the high `reg_i` keeps a movie with three 5-star ratings from topping the list).
 * Fitting (no seed): `n_epochs` ALS passes of b_i = Σ(r − μ − b_u)/(λ_i + n_i) and
 * b_u = Σ(r − μ − b_i)/(λ_u + n_u); then β_g = Σ_{i∈g} (r − μ − b_u)/(λ_g + n_g) over ratings of
 * movies in g, and t_ug = Σ_{i∈g rated by u} (r − μ − b_u − b_i)/(λ_ug + n_ug).
 * Loss: the ALS loss of the biases (as `baseline`); β and t are one ridge step on its residuals.
 * Without `movies` (the catalogue) at fit it is the baseline model.
 *
 * Fold-in (a user not trained on, from the history's movies the model knows): b_u =
 * Σ (r − μ − b_i) / (λ_u + n_u) and t_ug = Σ_{i∈g} (r − μ − b_u − b_i) / (λ_ug + n_ug) — the fit's
 * own last steps, so a trained user's ratings give back their b_u and tastes exactly.
 */
export class GenrePopularityModel extends RatingModelBase {
  readonly kind = 'genre-popularity';
  private bu = new Float64Array(0);
  private bi = new Float64Array(0);
  private genres: string[] = [];
  private genreBias = new Float64Array(0);
  /** User × genre taste, row-major. */
  private taste = new Float64Array(0);
  /** Genre bits per dense movie. */
  private movieMask = new Int32Array(0);
  /** Every catalogue movie (ascending) and its genre bits, for movies nobody rated. */
  private catalogueIds = new Int32Array(0);
  private catalogueMasks = new Int32Array(0);

  constructor(params: ModelParams) {
    super(params);
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const p = this.params;
    const { users, movies, ratings, size, nUsers, nMovies, globalMean: mu } = data;
    // Genres of the catalogue, numbered in sorted order so the numbering is stable.
    const catalogue = options.movies ?? new Map();
    this.genres = [...new Set([...catalogue.values()].flatMap((m) => m.genres))]
      .filter((g) => g !== NO_GENRES)
      .sort();
    if (this.genres.length > MAX_GENRES) {
      throw new InvalidInputError(
        `genre-popularity handles at most ${MAX_GENRES} genres, the catalogue has ${this.genres.length}`,
      );
    }
    const bit = new Map(this.genres.map((g, k) => [g, 1 << k]));
    const maskOf = (genres: readonly string[]) => genres.reduce((m, g) => m | (bit.get(g) ?? 0), 0);
    this.catalogueIds = Int32Array.from(catalogue.keys()).sort();
    this.catalogueMasks = Int32Array.from(this.catalogueIds, (id) => maskOf(catalogue.get(id)!.genres));
    this.movieMask = Int32Array.from(this.movieIds, (id) => {
      const info = catalogue.get(id);
      return info ? maskOf(info.genres) : 0;
    });

    const bu = new Float64Array(nUsers);
    const bi = new Float64Array(nMovies);
    fitAlsBiases(data, {
      epochs: p.n_epochs as number,
      regU: p.reg_u as number,
      regI: p.reg_i as number,
      bu,
      bi,
    });
    const nG = this.genres.length;
    const gSum = new Float64Array(nG);
    const gCount = new Float64Array(nG);
    const tSum = new Float64Array(nUsers * nG);
    const tCount = new Float64Array(nUsers * nG);
    for (let k = 0; k < size; k++) {
      const u = users[k]!;
      const i = movies[k]!;
      const mask = this.movieMask[i]!;
      if (mask === 0) continue;
      const movieResidual = ratings[k]! - mu - bu[u]!;
      const tasteResidual = movieResidual - bi[i]!;
      for (let g = 0; g < nG; g++) {
        if ((mask & (1 << g)) === 0) continue;
        gSum[g]! += movieResidual;
        gCount[g]!++;
        tSum[u * nG + g]! += tasteResidual;
        tCount[u * nG + g]!++;
      }
    }
    this.genreBias = new Float64Array(nG);
    for (let g = 0; g < nG; g++) this.genreBias[g] = gSum[g]! / ((p.reg_g as number) + gCount[g]!);
    this.taste = new Float64Array(nUsers * nG);
    for (let x = 0; x < this.taste.length; x++)
      this.taste[x] = tSum[x]! / ((p.reg_ug as number) + tCount[x]!);
    this.bu = bu;
    this.bi = bi;
    this.epochDone(options, 1);
  }

  /** Mean of `values[offset + g]` over the genres in `mask` (0 for none). */
  private meanOver(values: Float64Array, offset: number, mask: number): number {
    if (mask === 0) return 0;
    let s = 0;
    let n = 0;
    for (let g = 0; g < this.genres.length; g++) {
      if ((mask & (1 << g)) === 0) continue;
      s += values[offset + g]!;
      n++;
    }
    return s / n;
  }

  private catalogueMask(movieId: number): number {
    const ids = this.catalogueIds;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = ids[mid]!;
      if (v === movieId) return this.catalogueMasks[mid]!;
      if (v < movieId) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  protected estimate(u: number, i: number): number {
    let est = this.globalMean + (u >= 0 ? this.bu[u]! : 0);
    if (i < 0) return est;
    est += this.bi[i]!;
    if (u >= 0) est += this.meanOver(this.taste, u * this.genres.length, this.movieMask[i]!);
    return est;
  }

  /** The estimate by raw movie id: a catalogue movie nobody rated is placed by its genres. */
  private estimateRaw(u: number, movieId: number): { value: number; i: number } {
    return u >= 0
      ? this.estimateFor(this.bu[u]!, this.taste, u * this.genres.length, movieId)
      : this.estimateFor(0, null, 0, movieId);
  }

  /** The estimate by raw movie id for a user bias and genre tastes (`taste[offset + g]`, or none). */
  private estimateFor(
    bu: number,
    taste: Float64Array | null,
    offset: number,
    movieId: number,
  ): { value: number; i: number } {
    const i = this.movieIndexOf(movieId);
    let value = this.globalMean + bu;
    if (i >= 0) {
      value += this.bi[i]!;
      if (taste) value += this.meanOver(taste, offset, this.movieMask[i]!);
      return { value, i };
    }
    const mask = this.catalogueMask(movieId);
    if (mask !== 0) {
      value += this.meanOver(this.genreBias, 0, mask);
      if (taste) value += this.meanOver(taste, offset, mask);
    }
    return { value, i };
  }

  override foldIn(history: ReadonlyMap<number, number>): UserPredictor | undefined {
    this.assertFitted();
    const { movieIds, ratings } = historyArrays(this.kind, history);
    const p = this.params;
    const known: { i: number; r: number }[] = [];
    for (let k = 0; k < movieIds.length; k++) {
      const i = this.movieIndexOf(movieIds[k]!);
      if (i >= 0) known.push({ i, r: ratings[k]! });
    }
    if (known.length === 0) return undefined;
    const mu = this.globalMean;
    let sum = 0;
    for (const { i, r } of known) sum += r - mu - this.bi[i]!;
    const bu = sum / ((p.reg_u as number) + known.length);
    const nG = this.genres.length;
    const tSum = new Float64Array(nG);
    const tCount = new Float64Array(nG);
    for (const { i, r } of known) {
      const mask = this.movieMask[i]!;
      for (let g = 0; g < nG; g++) {
        if ((mask & (1 << g)) === 0) continue;
        tSum[g]! += r - mu - bu - this.bi[i]!;
        tCount[g]!++;
      }
    }
    const taste = new Float64Array(nG);
    for (let g = 0; g < nG; g++) taste[g] = tSum[g]! / ((p.reg_ug as number) + tCount[g]!);
    const fallback = (i: number) => (i < 0 ? 'unknown-movie' : 'none') as 'unknown-movie' | 'none';
    return {
      usedRatings: known.length,
      predict: (movieId) => {
        const { value, i } = this.estimateFor(bu, taste, 0, movieId);
        return { rating: clampToScale(this.scale, value), fallback: fallback(i) };
      },
      predictMany: (ids) =>
        Float32Array.from(ids, (movieId) =>
          clampToScale(this.scale, this.estimateFor(bu, taste, 0, movieId).value),
        ),
      recommend: (options) =>
        this.rank(options, (movieId) => this.estimateFor(bu, taste, 0, movieId)).map((s) => ({
          movieId: s.movieId,
          predictedRating: clampToScale(this.scale, s.value),
          fallback: fallback(s.i),
        })),
    };
  }

  /** The best n candidates by `score` (default candidates: rated or catalogue movies), ties by id. */
  private rank(
    options: RecommendOptions,
    score: (movieId: number) => { value: number; i: number },
  ): { movieId: number; value: number; i: number }[] {
    const n = options.n;
    this.assertTopN(n);
    const candidates =
      options.candidates ?? [...new Set([...this.movieIds, ...this.catalogueIds])].sort((a, b) => a - b);
    const scored: { movieId: number; value: number; i: number }[] = [];
    for (const movieId of candidates) {
      if (options.exclude?.has(movieId)) continue;
      scored.push({ movieId, ...score(movieId) });
    }
    scored.sort((a, b) => b.value - a.value || a.movieId - b.movieId);
    return scored.slice(0, n);
  }

  override predict(userId: number, movieId: number): Prediction {
    this.assertFitted();
    const u = this.userIndexOf(userId);
    const { value, i } = this.estimateRaw(u, movieId);
    return { rating: clampToScale(this.scale, value), fallback: fallbackKind(u, i) };
  }

  override predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array {
    this.assertFitted();
    this.assertPairs(userIds, movieIds);
    const out = new Float32Array(userIds.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = clampToScale(this.scale, this.estimateRaw(this.userIndexOf(userIds[k]!), movieIds[k]!).value);
    }
    return out;
  }

  /**
   * Top N over the candidates, by default every movie rated in training plus every catalogue
   * movie nobody rated yet (new movies get a chance through their genres).
   */
  override recommend(userId: number, options: RecommendOptions): Recommendation[] {
    this.assertFitted();
    const u = this.userIndexOf(userId);
    return this.rank(options, (movieId) => this.estimateRaw(u, movieId)).map((s) => ({
      movieId: s.movieId,
      predictedRating: clampToScale(this.scale, s.value),
      fallback: fallbackKind(u, s.i),
    }));
  }

  /** The user's strongest genre tastes (largest t_ug first): "because you like …". */
  favouriteGenres(userId: number, limit = 3): { genre: string; taste: number }[] {
    const u = this.userIndexOf(userId);
    if (u < 0) return [];
    const nG = this.genres.length;
    return this.genres
      .map((genre, g) => ({ genre, taste: this.taste[u * nG + g]! }))
      .filter((t) => t.taste > 0)
      .sort((a, b) => b.taste - a.taste || a.genre.localeCompare(b.genre))
      .slice(0, limit);
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    return {
      sections: new Map<string, SectionArray>([
        ['bu', this.bu],
        ['bi', this.bi],
        ['genreBias', this.genreBias],
        ['taste', this.taste],
        ['movieMask', this.movieMask],
        ['catalogueIds', this.catalogueIds],
        ['catalogueMasks', this.catalogueMasks],
      ]),
      meta: { genres: this.genres },
    };
  }

  protected loadState(
    sections: ReadonlyMap<string, SectionArray>,
    meta: Readonly<Record<string, JsonValue>>,
  ): void {
    const genres = meta.genres;
    if (!Array.isArray(genres) || !genres.every((g) => typeof g === 'string') || genres.length > MAX_GENRES) {
      throw new ArtifactError(`${this.kind} artifact lacks its genre list`);
    }
    this.genres = genres as string[];
    const nU = this.userIds.length;
    const nI = this.movieIds.length;
    this.bu = requireSection(this.kind, sections, 'bu', Float64Array, nU);
    this.bi = requireSection(this.kind, sections, 'bi', Float64Array, nI);
    this.genreBias = requireSection(this.kind, sections, 'genreBias', Float64Array, genres.length);
    this.taste = requireSection(this.kind, sections, 'taste', Float64Array, nU * genres.length);
    this.movieMask = requireSection(this.kind, sections, 'movieMask', Int32Array, nI);
    this.catalogueIds = requireSection(this.kind, sections, 'catalogueIds', Int32Array);
    this.catalogueMasks = requireSection(
      this.kind,
      sections,
      'catalogueMasks',
      Int32Array,
      this.catalogueIds.length,
    );
  }
}
