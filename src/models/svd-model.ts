import { ArtifactError } from '../errors.ts';
import {
  blockedRows,
  blockedRowsArrays,
  fitThreads,
  type Rates,
  runBlockedEpochs,
  startFactorFit,
  svdBlockArgs,
} from './factor-engine.ts';
import { gramBatch, type Scorer, scorerIn, scoringArena } from './factor-scorer.ts';
import { addGram, type FoldedUser, mirrorLower, solveSpd } from './fold-in.ts';
import { EpochPair, type KernelArena, type Placed } from './mf-kernel.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

/*
 * The svd model: its parameters, its SGD update in TypeScript (the reference of the kernel's), and
 * the model class. This file is long because the class keeps the model's maths together: the fit
 * over the factor engine, prediction, kernel scoring, the exact fold-in with its Gram matrix, and
 * saving and loading; svdpp extends it. Partitioning, threads and the kernel arena live in
 * factor-engine.ts.
 */

/** Learning rates and regularisation shared by svd and svdpp (Surprise's names). */
const termSpecs = {
  lr_all: { default: 0.005, above: 0, max: 1, doc: 'learning rate of every term unless set apart' },
  reg_all: { default: 0.02, min: 0, doc: 'regularisation of every term unless set apart' },
  lr_bu: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of user biases (default lr_all)' },
  lr_bi: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of movie biases (default lr_all)' },
  lr_pu: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of user factors (default lr_all)' },
  lr_qi: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of movie factors (default lr_all)' },
  reg_bu: { inherit: 'reg_all', min: 0, doc: 'regularisation of user biases (default reg_all)' },
  reg_bi: { inherit: 'reg_all', min: 0, doc: 'regularisation of movie biases (default reg_all)' },
  reg_pu: { inherit: 'reg_all', min: 0, doc: 'regularisation of user factors (default reg_all)' },
  reg_qi: { inherit: 'reg_all', min: 0, doc: 'regularisation of movie factors (default reg_all)' },
} as const satisfies ParamSpecs;

const engineSpec = {
  default: 'wasm',
  choices: ['wasm', 'js'],
  doc: 'wasm: the SIMD WebAssembly kernel (fast); js: the plain TypeScript reference (same maths)',
} as const;

export const svdParamSpecs = {
  n_factors: { default: 100, integer: true, min: 1, max: 2000, doc: 'number of latent factors' },
  n_epochs: { default: 20, integer: true, min: 1, max: 1000, doc: 'SGD passes over the ratings' },
  biased: { default: true, doc: 'learn user and movie biases (false: prediction is q_i·p_u alone)' },
  init_mean: { default: 0, doc: 'mean of the normal initial factors' },
  init_std_dev: { default: 0.1, min: 0, doc: 'standard deviation of the normal initial factors' },
  ...termSpecs,
  engine: engineSpec,
  threads: {
    default: 0,
    integer: true,
    min: 0,
    max: 2,
    doc:
      'threads per fit (wasm engine; same result for 1 and 2, only the speed differs); 0 = auto: 2 in the ' +
      'main thread, 1 inside a worker thread, where the caller already runs fits side by side',
  },
} as const satisfies ParamSpecs;

export const svdppParamSpecs = {
  n_factors: { default: 20, integer: true, min: 1, max: 2000, doc: 'number of latent factors' },
  n_epochs: { default: 20, integer: true, min: 1, max: 1000, doc: 'SGD passes over the ratings' },
  init_mean: { default: 0, doc: 'mean of the normal initial factors' },
  init_std_dev: { default: 0.1, min: 0, doc: 'standard deviation of the normal initial factors' },
  ...termSpecs,
  lr_all: { ...termSpecs.lr_all!, default: 0.007 },
  lr_yj: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of implicit factors y_j (default lr_all)' },
  reg_yj: { inherit: 'reg_all', min: 0, doc: 'regularisation of implicit factors y_j (default reg_all)' },
  engine: engineSpec,
} as const satisfies ParamSpecs;

/**
 * The TypeScript reference of `svdEpoch` in assembly/mf-kernel.ts (same update, f64 arithmetic on
 * f32 storage). Kept for tests (both must agree) and as `engine: 'js'`.
 */
export function svdEpochJs(
  n: number,
  users: Int32Array,
  items: Int32Array,
  ratings: Float32Array,
  weights: Float32Array | undefined,
  pu: Float32Array,
  qi: Float32Array,
  bu: Float32Array,
  bi: Float32Array,
  k4: number,
  mean: number,
  r: Rates,
): number {
  let loss = 0;
  const keepP = 1 - r.lrPu * r.regPu;
  const keepQ = 1 - r.lrQi * r.regQi;
  for (let t = 0; t < n; t++) {
    const u = users[t]!;
    const i = items[t]!;
    const po = u * k4;
    const qo = i * k4;
    let dot = 0;
    for (let f = 0; f < k4; f++) dot += pu[po + f]! * qi[qo + f]!;
    const b_u = bu[u]!;
    const b_i = bi[i]!;
    let err = ratings[t]! - (mean + b_u + b_i + dot);
    loss += err * err;
    if (weights) err *= weights[t]!;
    bu[u] = b_u + r.lrBu * (err - r.regBu * b_u);
    bi[i] = b_i + r.lrBi * (err - r.regBi * b_i);
    // p + γ(e q − λ p) written as (1 − γλ) p + (γ e) q, as the kernel does.
    const stepP = r.lrPu * err;
    const stepQ = r.lrQi * err;
    for (let f = 0; f < k4; f++) {
      const puf = pu[po + f]!;
      const qif = qi[qo + f]!;
      pu[po + f] = keepP * puf + stepP * qif;
      qi[qo + f] = keepQ * qif + stepQ * puf;
    }
  }
  return loss;
}

/**
 * `svd` — biased matrix factorisation trained by SGD (Funk 2006; Koren, Bell & Volinsky 2009;
 * Surprise's SVD with its defaults: 100 factors, 20 epochs, γ 0.005, λ 0.02, init N(0, 0.1)).
 *
 * Prediction: r̂(u,i) = μ + b_u + b_i + q_i·p_u. An unknown user or movie contributes neither bias
 * nor factors (so the fallback is μ + the known bias); with `biased: false`, r̂ = q_i·p_u and the
 * fallback is μ.
 *
 * Loss: Σ_(u,i) (r − r̂)² + λ_bu b_u² + λ_bi b_i² + λ_pu ‖p_u‖² + λ_qi ‖q_i‖².
 *
 * Update, for each rating (users in a seeded order, each user's ratings together), e = r − r̂:
 * b_u ← b_u + γ_bu (e − λ_bu b_u); b_i ← b_i + γ_bi (e − λ_bi b_i);
 * p_u ← p_u + γ_pu (e q_i − λ_pu p_u); q_i ← q_i + γ_qi (e p_u − λ_qi q_i) (old p_u, q_i on the right).
 * A rating weight w (RatingsData.weights) scales e in the updates.
 *
 * Visiting order: users in a seeded order, each user's ratings together and shuffled (the loaders
 * sort by movie id, and walking a user's movies by id cost ~0.004 RMSE here), split into four blocks
 * (user half × movie half) visited as (0,0),(1,1) then (0,1),(1,0).
 *
 * Speed: the default engine runs each epoch in a WebAssembly SIMD kernel (f32x4) over factors laid
 * out row-contiguous with the factor count padded to a multiple of 4, with the next same-user dot
 * product fused into the update. The two blocks of each pair share no user and no movie, so with
 * `threads` 2 they run at once on this thread and a partner worker over the shared kernel memory —
 * the same arithmetic in the same order per parameter, hence bit-identical to one thread (Hogwild
 * would be faster to write but not reproducible under a seed). Inside worker threads (tuning, CV
 * in parallel) the default is one thread: the caller already uses both cores.
 */
/** What `SvdModel.rankingArrays` shares: the factor arrays and the id maps (dense index ↔ raw id). */
export interface SvdRankingArrays {
  readonly k4: number;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly bu: Float32Array;
  readonly bi: Float32Array;
  readonly biased: boolean;
  readonly globalMean: number;
  /** Dense movie index → raw id, ascending. */
  readonly movieIds: Int32Array;
  userIndexOf(userId: number): number;
  movieIndexOf(movieId: number): number;
}

export class SvdModel extends RatingModelBase {
  readonly kind: string = 'svd';
  protected k = 0;
  protected k4 = 0;
  /** Factors used to predict: p_u for svd, p_u + |N(u)|^-½ Σ y_j for svdpp. Stride k4. */
  protected userFactors: Float32Array = new Float32Array(0);
  protected itemFactors: Float32Array = new Float32Array(0);
  protected bu: Float32Array = new Float32Array(0);
  protected bi: Float32Array = new Float32Array(0);
  protected biased = true;
  protected scorer: Scorer | null = null;

  constructor(params: ModelParams) {
    super(params);
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const p = this.params;
    const biased = p.biased !== false;
    const { k, k4, epochs, rates, rng, arena, arrays, pu, qi, bu, bi } = startFactorFit(
      p,
      data,
      options.seed,
      () => blockedRowsArrays(data),
      EpochPair.bytes,
    );
    if (!biased) {
      rates.lrBu = 0;
      rates.lrBi = 0;
    }
    const mean = biased ? data.globalMean : 0;
    const rows = blockedRows(data, rng, arrays);
    this.adoptFit(k, k4, biased, pu, qi, bu, bi, arena);
    const { users, items, ratings, weights, blockStart } = rows;
    const jsEpoch = () => {
      for (let block = 0; block < 4; block++) {
        const from = blockStart[block]!;
        const to = blockStart[block + 1]!;
        svdEpochJs(
          to - from,
          users.view.subarray(from, to),
          items.view.subarray(from, to),
          ratings.view.subarray(from, to),
          weights?.view.subarray(from, to),
          pu.view,
          qi.view,
          bu.view,
          bi.view,
          k4,
          mean,
          rates,
        );
      }
      // A scorer built inside an epoch hook holds a copy; the next epoch makes it stale.
      this.scorer = null;
    };
    runBlockedEpochs({
      arena,
      threads: fitThreads(p),
      size: data.size,
      epochs,
      kernelArgs: svdBlockArgs(rows, { pu, qi, bu, bi }, k4, mean, rates),
      jsEpoch,
      epochDone: (epoch) => this.epochDone(options, epoch),
    });
    this.releaseArena();
  }

  /**
   * Takes the fit's arrays as the model's parameters (the user rows are p_u for svd, the effective
   * vectors for svdpp) and, when they live in kernel memory, scores top-N over them in place.
   */
  protected adoptFit(
    k: number,
    k4: number,
    biased: boolean,
    users: Placed<Float32Array>,
    qi: Placed<Float32Array>,
    bu: Placed<Float32Array>,
    bi: Placed<Float32Array>,
    arena: KernelArena | null,
  ): void {
    this.k = k;
    this.k4 = k4;
    this.biased = biased;
    this.userFactors = users.view;
    this.itemFactors = qi.view;
    this.bu = bu.view;
    this.bi = bi.view;
    this.scorer = arena ? scorerIn(arena, users.ptr, qi.ptr, bi.ptr, bi.view.length) : null;
  }

  /**
   * Copies the learned arrays out of the fit's kernel memory, which also holds a copy of every
   * training row: a kept model then retains only its parameters (the copy is ~1 ms on
   * ml-latest-small). The first top-N builds a small scoring arena again.
   */
  protected releaseArena(): void {
    this.userFactors = this.userFactors.slice();
    this.itemFactors = this.itemFactors.slice();
    this.bu = this.bu.slice();
    this.bi = this.bi.slice();
    this.scorer = null;
  }

  protected estimate(u: number, i: number): number {
    if (u >= 0 && i >= 0) {
      const k4 = this.k4;
      const pu = this.userFactors;
      const qi = this.itemFactors;
      const po = u * k4;
      const qo = i * k4;
      let dot = 0;
      for (let f = 0; f < k4; f++) dot += pu[po + f]! * qi[qo + f]!;
      return this.biased ? this.globalMean + this.bu[u]! + this.bi[i]! + dot : dot;
    }
    if (!this.biased) return this.globalMean;
    return this.globalMean + (u >= 0 ? this.bu[u]! : 0) + (i >= 0 ? this.bi[i]! : 0);
  }

  /** One kernel call scores every movie for a known user; the rest falls back to `estimate`. */
  protected override scoreMovies(u: number, movies: Int32Array, out: Float64Array): void {
    if (u < 0 || movies.length < 64) {
      super.scoreMovies(u, movies, out);
      return;
    }
    const s = this.ensureScorer();
    const base = this.biased ? this.globalMean + this.bu[u]! : 0;
    s.kernel.scoreAll(
      s.userPtr + u * this.k4 * 4,
      s.qiPtr,
      s.biPtr,
      this.movieIds.length,
      this.k4,
      base,
      s.outPtr,
    );
    for (let k = 0; k < movies.length; k++) {
      const i = movies[k]!;
      out[k] = i >= 0 ? s.out[i]! : this.estimate(u, i);
    }
  }

  /** Copies the factors into a kernel arena the first time a loaded (or JS-fitted) model ranks. */
  private ensureScorer(): Scorer {
    this.scorer ??= scoringArena(this.userFactors, this.itemFactors, this.bi, this.k4);
    return this.scorer;
  }

  /**
   * Fold-in: the user's bias and factors minimise this model's loss for one user with every movie
   * parameter fixed — SGD applies λ at each rating, so in batch form that is
   *   Σ_{i∈I(u)} (r − μ − b_i − b_u − q_i·p)² + |I(u)| (λ_bu b_u² + λ_pu ‖p‖²) + κ ‖p‖², κ = `foldInPrior`
   * — a ridge regression on the features (1, q_i), solved exactly (Cholesky of a (k+1)² system,
   * O(|I(u)| k² + k³)). Training stops early from random factors, so a trained user folds back in
   * near, not at, their p_u (predictions ~0.2 RMSE apart in the synthetic world, and the folded
   * ones closer to the user's true ratings). The small fixed prior keeps a user with one or two ratings from an
   * interpolating p (λ|I(u)| alone is 0.02 per rating at the defaults). For svdpp the solved p
   * stands for the whole effective vector p_u + |N(u)|^-½ Σ y_j (the y_j are not kept after a
   * fit), so the implicit part is learned as explicit factors.
   */
  protected override foldInDense(movies: Int32Array, ratings: Float64Array): FoldedUser {
    const { k, k4, biased } = this;
    const q = this.itemFactors;
    const d = biased ? k + 1 : k;
    const off = biased ? 1 : 0;
    const n = movies.length;
    const a = this.foldInGram(movies);
    const b = new Float64Array(d);
    for (let t = 0; t < n; t++) {
      const i = movies[t]!;
      const target = biased ? ratings[t]! - this.globalMean - this.bi[i]! : ratings[t]!;
      if (biased) b[0]! += target;
      for (let f = 0; f < k; f++) b[off + f]! += target * q[i * k4 + f]!;
    }
    if (biased) a[0]! += n * (this.params.reg_bu as number);
    const regP = n * (this.params.reg_pu as number) + SvdModel.foldInPrior;
    for (let f = 0; f < k; f++) a[(off + f) * d + off + f]! += regP;
    solveSpd(a, b, d);
    const bu = biased ? b[0]! : 0;
    const p = new Float32Array(k4);
    for (let f = 0; f < k; f++) p[f] = b[off + f]!;
    const base = biased ? this.globalMean + bu : 0;
    const estimate = (i: number): number => {
      if (i < 0) return biased ? base : this.globalMean;
      let dot = 0;
      for (let f = 0; f < k; f++) dot += p[f]! * q[i * k4 + f]!;
      return (biased ? base + this.bi[i]! : 0) + dot;
    };
    return {
      estimate,
      scoreMovies: (list, out) => {
        if (list.length < 64) {
          for (let t = 0; t < list.length; t++) out[t] = estimate(list[t]!);
          return;
        }
        const s = this.ensureScorer();
        if (s.foldPtr === undefined || !s.foldRow) {
          for (let t = 0; t < list.length; t++) out[t] = estimate(list[t]!);
          return;
        }
        s.foldRow.set(p);
        s.kernel.scoreAll(s.foldPtr, s.qiPtr, s.biPtr, this.movieIds.length, k4, base, s.outPtr);
        for (let t = 0; t < list.length; t++) {
          const i = list[t]!;
          out[t] = i >= 0 ? s.out[i]! : estimate(i);
        }
      },
    };
  }

  /**
   * Σ x xᵀ over the features x = (1, q_i) (or q_i when unbiased) of the movies rated: the Gram
   * matrix of a fold-in, d × d row-major, both triangles. Nearly all of a fold-in's work: with the
   * wasm engine a loaded model builds its factor block in the kernel (f32x4; for 200 ratings of
   * 100 factors about 0.1 ms against 0.5 ms in TypeScript), else `addGram` in f64.
   */
  private foldInGram(movies: Int32Array): Float64Array {
    const { k, k4, biased } = this;
    const q = this.itemFactors;
    const d = biased ? k + 1 : k;
    const off = biased ? 1 : 0;
    const n = movies.length;
    const a = new Float64Array(d * d);
    const s = this.params.engine === 'wasm' && n >= 8 ? this.ensureScorer() : null;
    if (s?.gram && s.gramRows) {
      const { gram, gramRows } = s;
      gram.view.fill(0);
      for (let t = 0; t < n; t += gramBatch) {
        const m = Math.min(gramBatch, n - t);
        gramRows.view.set(movies.subarray(t, t + m));
        s.kernel.gramRows(s.qiPtr, gramRows.ptr, m, k4, gram.ptr);
      }
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) a[(off + r) * d + off + c] = gram.view[r * k4 + c]!;
      }
      if (biased) {
        // The bias row and column: Σ 1 = n and Σ q_i.
        a[0] = n;
        for (let t = 0; t < n; t++) {
          const o = movies[t]! * k4;
          for (let f = 0; f < k; f++) a[1 + f]! += q[o + f]!;
        }
        for (let f = 0; f < k; f++) a[(1 + f) * d] = a[1 + f]!;
      }
      return a;
    }
    // The design matrix: one row per rating.
    const x = new Float64Array(n * d);
    for (let t = 0; t < n; t++) {
      const row = t * d;
      if (biased) x[row] = 1;
      for (let f = 0; f < k; f++) x[row + off + f] = q[movies[t]! * k4 + f]!;
    }
    addGram(a, d, x, n);
    mirrorLower(a, d);
    return a;
  }

  /**
   * The fixed ridge on p added by fold-in (see `foldInDense`): best NDCG@10 for newcomers with 5
   * and 20 ratings on ml-latest-small among 0, 0.3, 1, 3, 10.
   */
  static readonly foldInPrior = 3;

  /**
   * The arrays a blocked top-k scores with, shared rather than copied (read them, never write):
   * user rows (svd++: the effective p_u + |N(u)|^-½ Σ y_j), item rows, both padded to k4, the
   * biases, and the id maps. Throws unless the model is fitted or loaded.
   */
  rankingArrays(): SvdRankingArrays {
    this.assertFitted();
    return {
      k4: this.k4,
      userFactors: this.userFactors,
      itemFactors: this.itemFactors,
      bu: this.bu,
      bi: this.bi,
      biased: this.biased,
      globalMean: this.globalMean,
      movieIds: this.movieIds,
      userIndexOf: (userId) => this.userIndexOf(userId),
      movieIndexOf: (movieId) => this.movieIndexOf(movieId),
    };
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    return {
      sections: new Map<string, SectionArray>([
        ['userFactors', this.userFactors],
        ['itemFactors', this.itemFactors],
        ['bu', this.bu],
        ['bi', this.bi],
      ]),
      meta: { k: this.k, k4: this.k4, biased: this.biased },
    };
  }

  protected loadState(
    sections: ReadonlyMap<string, SectionArray>,
    meta: Readonly<Record<string, JsonValue>>,
  ): void {
    const k = meta.k;
    const k4 = meta.k4;
    if (typeof k !== 'number' || typeof k4 !== 'number' || k4 !== ((k + 3) & ~3)) {
      throw new ArtifactError(`${this.kind} artifact has a bad factor count`);
    }
    const nUsers = this.userIds.length;
    const nMovies = this.movieIds.length;
    this.k = k;
    this.k4 = k4;
    this.biased = meta.biased !== false;
    this.userFactors = requireSection(this.kind, sections, 'userFactors', Float32Array, nUsers * k4);
    this.itemFactors = requireSection(this.kind, sections, 'itemFactors', Float32Array, nMovies * k4);
    this.bu = requireSection(this.kind, sections, 'bu', Float32Array, nUsers);
    this.bi = requireSection(this.kind, sections, 'bi', Float32Array, nMovies);
    this.scorer = null;
  }
}
