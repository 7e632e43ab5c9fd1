import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

export const baselineParamSpecs: ParamSpecs = {
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
};

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
    const { users, movies, ratings, size } = data;
    if (p.method === 'als') {
      const regU = p.reg_u as number;
      const regI = p.reg_i as number;
      const countU = new Float64Array(data.nUsers);
      const countI = new Float64Array(data.nMovies);
      for (let k = 0; k < size; k++) {
        countU[users[k]!]!++;
        countI[movies[k]!]!++;
      }
      const dev = new Float64Array(Math.max(data.nUsers, data.nMovies));
      for (let epoch = 1; epoch <= epochs; epoch++) {
        dev.fill(0);
        for (let k = 0; k < size; k++) dev[movies[k]!]! += ratings[k]! - mu - bu[users[k]!]!;
        for (let i = 0; i < bi.length; i++) bi[i] = dev[i]! / (regI + countI[i]!);
        dev.fill(0);
        for (let k = 0; k < size; k++) dev[users[k]!]! += ratings[k]! - mu - bi[movies[k]!]!;
        for (let u = 0; u < bu.length; u++) bu[u] = dev[u]! / (regU + countU[u]!);
        if (!this.epochDone(options, epoch)) return;
      }
    } else {
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
