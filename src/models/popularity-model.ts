import { shrunkUserOffsets } from './baseline-model.ts';
import type { FoldedUser } from './fold-in.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

export const popularityParamSpecs = {
  reg_u: { default: 15, min: 0, doc: 'shrinkage of the user bias towards 0 (pseudo-ratings at the mean)' },
} as const satisfies ParamSpecs;

/**
 * `popularity` — recommends the most-rated movies; the yardstick for ranking models and the
 * simplest answer for a user nobody knows.
 *
 * Prediction: r̂(u,i) = μ + b_u + a + b·log(1 + n_i), where n_i is the number of training ratings
 * of movie i, b_u = Σ_{i∈I(u)} (r − μ) / (λ_u + |I(u)|), and (a, b) are the least-squares fit of
 * the residuals r − μ − b_u on log(1 + n_i), with b forced > 0 (at least 1e-6). Because the movie term only grows
 * with n_i, ranking one user's movies by predicted rating ranks them by popularity — the ranking
 * this model exists for — while the rating stays an honest (if weak) estimate: in MovieLens the
 * much-rated movies are also rated higher. An unknown movie gets no movie term (r̂ = μ + b_u).
 *
 * Loss: Σ (r − μ − b_u − a − b·log(1 + n_i))² minimised in (a, b) for fixed b_u; one pass, no seed.
 *
 * Fold-in: b_u = Σ (r − μ) / (λ_u + |I(u)|) from the history, as at fit (a trained user's own
 * ratings give back their b_u exactly). The ranking stays the popularity order: only the predicted
 * ratings become personal.
 */
export class PopularityModel extends RatingModelBase {
  readonly kind = 'popularity';
  private bu = new Float64Array(0);
  /** a + b·log(1 + n_i) per movie. */
  private movieTerm = new Float64Array(0);
  private counts = new Int32Array(0);

  constructor(params: ModelParams) {
    super(params);
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const regU = this.params.reg_u as number;
    const { users, movies, ratings, size, globalMean: mu } = data;
    const counts = new Int32Array(data.nMovies);
    for (let k = 0; k < size; k++) counts[movies[k]!]!++;
    const bu = shrunkUserOffsets(data, regU);
    // Simple linear regression of the residual on x = log(1 + n_i) over the ratings.
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let k = 0; k < size; k++) {
      const x = Math.log1p(counts[movies[k]!]!);
      const y = ratings[k]! - mu - bu[users[k]!]!;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const varX = sxx - (sx * sx) / size;
    let b = varX > 1e-12 ? (sxy - (sx * sy) / size) / varX : 0;
    // A hair above 0 even when the data show no link, so the ranking still follows popularity.
    if (!(b > 1e-6)) b = 1e-6;
    const a = (sy - b * sx) / size;
    const movieTerm = new Float64Array(data.nMovies);
    for (let i = 0; i < movieTerm.length; i++) movieTerm[i] = a + b * Math.log1p(counts[i]!);
    this.bu = bu;
    this.movieTerm = movieTerm;
    this.counts = counts;
    this.epochDone(options, 1);
  }

  protected override foldInDense(movies: Int32Array, ratings: Float64Array): FoldedUser {
    let sum = 0;
    for (let k = 0; k < movies.length; k++) sum += ratings[k]! - this.globalMean;
    const bu = sum / ((this.params.reg_u as number) + movies.length);
    return { estimate: (i) => this.globalMean + bu + (i >= 0 ? this.movieTerm[i]! : 0) };
  }

  protected estimate(u: number, i: number): number {
    return this.globalMean + (u >= 0 ? this.bu[u]! : 0) + (i >= 0 ? this.movieTerm[i]! : 0);
  }

  /** Training ratings of a movie (0 when unknown): the popularity this model ranks by. */
  ratingCount(movieId: number): number {
    const i = this.movieIndexOf(movieId);
    return i >= 0 ? this.counts[i]! : 0;
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    return {
      sections: new Map<string, SectionArray>([
        ['bu', this.bu],
        ['movieTerm', this.movieTerm],
        ['counts', this.counts],
      ]),
    };
  }

  protected loadState(sections: ReadonlyMap<string, SectionArray>): void {
    this.bu = requireSection(this.kind, sections, 'bu', Float64Array, this.userIds.length);
    this.movieTerm = requireSection(this.kind, sections, 'movieTerm', Float64Array, this.movieIds.length);
    this.counts = requireSection(this.kind, sections, 'counts', Int32Array, this.movieIds.length);
  }
}
