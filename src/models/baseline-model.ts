import type { FoldedUser } from './fold-in.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

export const baselineParamSpecs = {
  method: {
    default: 'als',
    choices: ['als', 'sgd'],
    doc: 'fitting method: alternating least squares or SGD',
  },
  n_epochs: {
    default: 10,
    integer: true,
    min: 1,
    max: 1000,
    doc: 'passes over the data (Surprise: 10 for ALS, 20 for SGD)',
  },
  reg_u: { default: 15, min: 0, doc: 'ALS: regularisation of user biases' },
  reg_i: { default: 10, min: 0, doc: 'ALS: regularisation of movie biases' },
  reg: { default: 0.02, min: 0, doc: 'SGD: regularisation of both biases' },
  learning_rate: { default: 0.005, above: 0, max: 1, doc: 'SGD: learning rate' },
} as const satisfies ParamSpecs;

/**
 * The ALS fit of the baseline biases (the `als` method below; also the baseline under knn-baseline
 * and genre-popularity): each epoch sets every b_i = Σ_{u∈U(i)} (r − μ − b_u) / (λ_i + |U(i)|), then
 * every b_u = Σ_{i∈I(u)} (r − μ − b_i) / (λ_u + |I(u)|). Writes into `bu` and `bi` (zeros to start)
 * so a caller may predict with them between epochs; `afterEpoch` returning false stops there.
 */
export function fitAlsBiases(
  data: DenseRatings,
  options: {
    readonly epochs: number;
    readonly regU: number;
    readonly regI: number;
    readonly bu: Float64Array;
    readonly bi: Float64Array;
    readonly afterEpoch?: (epoch: number) => boolean;
  },
): void {
  const { users, movies, ratings, size, nUsers, nMovies, globalMean: mu } = data;
  const { regU, regI, bu, bi } = options;
  const countU = new Float64Array(nUsers);
  const countI = new Float64Array(nMovies);
  for (let k = 0; k < size; k++) {
    countU[users[k]!]!++;
    countI[movies[k]!]!++;
  }
  const dev = new Float64Array(Math.max(nUsers, nMovies));
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    dev.fill(0);
    for (let k = 0; k < size; k++) dev[movies[k]!]! += ratings[k]! - mu - bu[users[k]!]!;
    for (let i = 0; i < nMovies; i++) bi[i] = dev[i]! / (regI + countI[i]!);
    dev.fill(0);
    for (let k = 0; k < size; k++) dev[users[k]!]! += ratings[k]! - mu - bi[movies[k]!]!;
    for (let u = 0; u < nUsers; u++) bu[u] = dev[u]! / (regU + countU[u]!);
    if (options.afterEpoch && !options.afterEpoch(epoch)) return;
  }
}

/**
 * User offsets from the global mean with no movie term: b_u = Σ_{i∈I(u)} (r − μ) / (λ_u + |I(u)|),
 * the mean shrunk towards 0 (the user step of ALS with every b_i = 0). The user part of
 * `popularity` and of `implicit-als`.
 */
export function shrunkUserOffsets(data: DenseRatings, regU: number): Float64Array<ArrayBuffer> {
  const { users, ratings, size, nUsers, globalMean: mu } = data;
  const sumU = new Float64Array(nUsers);
  const countU = new Float64Array(nUsers);
  for (let k = 0; k < size; k++) {
    sumU[users[k]!]! += ratings[k]! - mu;
    countU[users[k]!]!++;
  }
  const bu = new Float64Array(nUsers);
  for (let u = 0; u < nUsers; u++) bu[u] = sumU[u]! / (regU + countU[u]!);
  return bu;
}

/**
 * `baseline` — global mean plus user and movie biases (Koren 2010; Surprise's BaselineOnly).
 *
 * Prediction: r̂(u,i) = μ + b_u + b_i (a bias the model never learned counts as 0).
 *
 * Loss: Σ (r − μ − b_u − b_i)² + λ_u Σ b_u² + λ_i Σ b_i².
 *
 * ALS (default, `reg_u` 15, `reg_i` 10): each epoch sets every b_i = Σ_{u∈U(i)} (r − μ − b_u) / (λ_i + |U(i)|),
 * then every b_u = Σ_{i∈I(u)} (r − μ − b_i) / (λ_u + |I(u)|).
 *
 * SGD (`method: 'sgd'`, `reg` 0.02, `learning_rate` 0.005; Surprise uses 20 epochs there): for each
 * rating e = r − r̂; b_u ← b_u + γ (e − λ b_u); b_i ← b_i + γ (e − λ b_i). Ratings are visited in
 * row order, so the fit is deterministic and needs no seed.
 *
 * Fold-in (a user not trained on, from their ratings I(u)): b_u minimises the same loss with the
 * b_i fixed — ALS: b_u = Σ (r − μ − b_i) / (λ_u + |I(u)|), the very step that ends each ALS epoch,
 * so a trained user's own ratings give back their b_u exactly; SGD: the fit's SGD updates replayed
 * on b_u alone from 0 with b_i fixed (same epochs, γ, λ) — the loss is not minimised at the end of
 * a fit either, and the replay lands where training left a user with those ratings.
 */
export class BaselineModel extends RatingModelBase {
  readonly kind = 'baseline';
  private bu = new Float64Array(0);
  private bi = new Float64Array(0);

  constructor(params: ModelParams) {
    super(params);
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const p = this.params;
    const epochs = p.n_epochs as number;
    const mu = data.globalMean;
    const bu = new Float64Array(data.nUsers);
    const bi = new Float64Array(data.nMovies);
    this.bu = bu;
    this.bi = bi;
    if (p.method === 'als') {
      fitAlsBiases(data, {
        epochs,
        regU: p.reg_u as number,
        regI: p.reg_i as number,
        bu,
        bi,
        afterEpoch: (epoch) => this.epochDone(options, epoch),
      });
    } else {
      const { users, movies, ratings, size } = data;
      const reg = p.reg as number;
      const lr = p.learning_rate as number;
      for (let epoch = 1; epoch <= epochs; epoch++) {
        for (let k = 0; k < size; k++) {
          const u = users[k]!;
          const i = movies[k]!;
          const err = ratings[k]! - (mu + bu[u]! + bi[i]!);
          bu[u]! += lr * (err - reg * bu[u]!);
          bi[i]! += lr * (err - reg * bi[i]!);
        }
        if (!this.epochDone(options, epoch)) return;
      }
    }
  }

  protected override foldInDense(movies: Int32Array, ratings: Float64Array): FoldedUser {
    let sum = 0;
    for (let k = 0; k < movies.length; k++) sum += ratings[k]! - this.globalMean - this.bi[movies[k]!]!;
    const n = movies.length;
    let bu = sum / ((this.params.reg_u as number) + n);
    if (this.params.method !== 'als') {
      // Replays the fit's SGD on b_u alone (b_i fixed), from 0: the early-stopped value training gives.
      const lr = this.params.learning_rate as number;
      const reg = this.params.reg as number;
      bu = 0;
      for (let epoch = 0; epoch < (this.params.n_epochs as number); epoch++) {
        for (let k = 0; k < n; k++) {
          const err = ratings[k]! - (this.globalMean + bu + this.bi[movies[k]!]!);
          bu += lr * (err - reg * bu);
        }
      }
    }
    return { estimate: (i) => this.globalMean + bu + (i >= 0 ? this.bi[i]! : 0) };
  }

  protected estimate(u: number, i: number): number {
    return this.globalMean + (u >= 0 ? this.bu[u]! : 0) + (i >= 0 ? this.bi[i]! : 0);
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    return {
      sections: new Map<string, SectionArray>([
        ['bu', this.bu],
        ['bi', this.bi],
      ]),
    };
  }

  protected loadState(sections: ReadonlyMap<string, SectionArray>): void {
    this.bu = requireSection(this.kind, sections, 'bu', Float64Array, this.userIds.length);
    this.bi = requireSection(this.kind, sections, 'bi', Float64Array, this.movieIds.length);
  }
}
