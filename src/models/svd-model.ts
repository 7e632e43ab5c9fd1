import { isMainThread } from 'node:worker_threads';
import { ArtifactError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { addGram, type FoldedUser, mirrorLower, solveSpd } from './fold-in.ts';
import { groupByKey } from './group-by-key.ts';
import {
  type ArrayKind,
  EpochPair,
  KernelArena,
  type MfKernelExports,
  type Placed,
  type SvdEpochArgs,
} from './mf-kernel.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

/** Learning rates and regularisation shared by svd and svdpp (Surprise's names). */
const termSpecs: ParamSpecs = {
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
};

const engineSpec = {
  default: 'wasm',
  choices: ['wasm', 'js'],
  doc: 'wasm: the SIMD WebAssembly kernel (fast); js: the plain TypeScript reference (same maths)',
} as const;

export const svdParamSpecs: ParamSpecs = {
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
};

export const svdppParamSpecs: ParamSpecs = {
  n_factors: { default: 20, integer: true, min: 1, max: 2000, doc: 'number of latent factors' },
  n_epochs: { default: 20, integer: true, min: 1, max: 1000, doc: 'SGD passes over the ratings' },
  init_mean: { default: 0, doc: 'mean of the normal initial factors' },
  init_std_dev: { default: 0.1, min: 0, doc: 'standard deviation of the normal initial factors' },
  ...termSpecs,
  lr_all: { ...termSpecs.lr_all!, default: 0.007 },
  lr_yj: { inherit: 'lr_all', min: 0, max: 1, doc: 'learning rate of implicit factors y_j (default lr_all)' },
  reg_yj: { inherit: 'reg_all', min: 0, doc: 'regularisation of implicit factors y_j (default reg_all)' },
  engine: engineSpec,
};

/** Row indices grouped by dense user (CSR), and a seeded order in which to visit users. */
export interface UserGrouping {
  /** Rows of user u are rows[rowStart[u]] … rows[rowStart[u+1]-1], in data order. */
  readonly rowStart: Int32Array;
  readonly rows: Int32Array;
  /** A permutation of the dense users. */
  readonly order: Int32Array;
}

/**
 * Surprise walks the ratings user by user (users in first-seen order of a shuffled fold). We do the
 * same with a seeded user order: a user's factor row stays hot in cache for all their ratings,
 * and SVD++ needs the grouping to update implicit factors once per user.
 */
export function groupByUser(data: DenseRatings, rng: Rng): UserGrouping {
  const { start: rowStart, order: rows } = groupByKey(data.users, data.nUsers);
  // Loaders return rows sorted by (user, movie); visiting a user's movies by id would walk them
  // roughly by release date, so shuffle within each user too, as Surprise's shuffled folds do.
  for (let u = 0; u < data.nUsers; u++) {
    const start = rowStart[u]!;
    for (let a = rowStart[u + 1]! - 1; a > start; a--) {
      const b = start + rng.int(a - start + 1);
      const tmp = rows[a]!;
      rows[a] = rows[b]!;
      rows[b] = tmp;
    }
  }
  const order = rng.shuffle(Int32Array.from({ length: data.nUsers }, (_, u) => u));
  return { rowStart, rows, order };
}

/** Below this many ratings a fit runs on one thread whatever `threads` says. */
export const MIN_ROWS_FOR_TWO_THREADS = 20_000;

/** The two parallel pairs of blocks, in visiting order: (users half, movies half). */
const blockOrder: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 1],
  [0, 1],
  [1, 0],
];

/**
 * Splits n items (users or movies, with rating counts from CSR offsets) into halves 0/1 of nearly
 * equal rating counts: greedy, heaviest first, so both threads get about the same work.
 */
export function balancedHalves(offsets: Int32Array, n: number): Uint8Array {
  const ids = Int32Array.from({ length: n }, (_, j) => j);
  const count = (j: number) => offsets[j + 1]! - offsets[j]!;
  ids.sort((x, y) => count(y) - count(x) || x - y);
  const half = new Uint8Array(n);
  let load0 = 0;
  let load1 = 0;
  for (const j of ids) {
    if (load0 <= load1) load0 += count(j);
    else {
      half[j] = 1;
      load1 += count(j);
    }
  }
  return half;
}

/**
 * Fills rows × k of a k4-strided matrix with N(mean, std); padding lanes stay 0. A million normals
 * per fit is a visible share of a 0.17 s budget, so this runs its own xoshiro128** (seeded from
 * `rng`, so still deterministic) with the state in locals, and Marsaglia's polar method (no
 * trigonometry).
 */
export function initFactors(
  rng: Rng,
  out: Float32Array,
  rows: number,
  k: number,
  k4: number,
  mean: number,
  std: number,
  /** The same fill by the kernel's `fillNormal` when `out` lives in an arena. */
  kernel?: { kernel: MfKernelExports; ptr: number },
) {
  let a = rng.nextUint32() | 0;
  let b = rng.nextUint32() | 0;
  let c = rng.nextUint32() | 0;
  let d = rng.nextUint32() | 0;
  if ((a | b | c | d) === 0) a = 1;
  if (kernel) {
    kernel.kernel.fillNormal(kernel.ptr, rows, k, k4, mean, std, a, b, c, d);
    return;
  }
  // Uniform in (-1, 1) from the top 32 bits of xoshiro128**.
  const next = () => {
    const x = b * 5;
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result * 4.656612873077393e-10; // 2^-31: signed 32-bit → [-1, 1)
  };
  let spare = 0;
  let haveSpare = false;
  for (let r = 0; r < rows; r++) {
    const base = r * k4;
    for (let f = 0; f < k; f++) {
      let z: number;
      if (haveSpare) {
        z = spare;
        haveSpare = false;
      } else {
        let u: number;
        let v: number;
        let s: number;
        do {
          u = next();
          v = next();
          s = u * u + v * v;
        } while (s >= 1 || s === 0);
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        z = u * m;
        spare = v * m;
        haveSpare = true;
      }
      out[base + f] = mean + std * z;
    }
  }
}

/** Learning rates and regularisations as numbers, in the kernel's argument order. */
export function termRates(p: ModelParams) {
  const n = (name: string) => p[name] as number;
  return {
    lrBu: n('lr_bu'),
    lrBi: n('lr_bi'),
    lrPu: n('lr_pu'),
    lrQi: n('lr_qi'),
    regBu: n('reg_bu'),
    regBi: n('reg_bi'),
    regPu: n('reg_pu'),
    regQi: n('reg_qi'),
  };
}

type Rates = ReturnType<typeof termRates>;

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

/** Scoring state for a fast top-N: factors inside a kernel arena. */
/**
 * The arrays of one svd or svdpp fit: placed in the fit's kernel arena (wasm engine), or plain
 * typed arrays with pointer 0 (js engine), so the fit code is the same for both engines.
 */
export class FitArrays {
  constructor(readonly arena: KernelArena | null) {}

  f32(n: number): Placed<Float32Array> {
    return this.arena?.alloc('f32', n) ?? { ptr: 0, view: new Float32Array(n) };
  }

  i32(n: number): Placed<Int32Array> {
    return this.arena?.alloc('i32', n) ?? { ptr: 0, view: new Int32Array(n) };
  }

  /** A rows × k4 factor matrix filled with N(init_mean, init_std_dev) by `initFactors`. */
  factors(rng: Rng, rows: number, k: number, k4: number, p: ModelParams): Placed<Float32Array> {
    const m = this.f32(rows * k4);
    const placed = this.arena ? { kernel: this.arena.kernel, ptr: m.ptr } : undefined;
    initFactors(rng, m.view, rows, k, k4, p.init_mean as number, p.init_std_dev as number, placed);
    return m;
  }
}

/**
 * The start every factor-model fit (svd, svdpp) shares: sizes, rates, the seeded stream, the
 * kernel arena when the engine is wasm (sized for the common arrays, the score buffer, `more` and
 * `extraBytes`), and the common arrays: p_u and q_i drawn in that order, b_u and b_i zero.
 */
export function startFactorFit(
  p: ModelParams,
  data: DenseRatings,
  seed: number | undefined,
  /** The fit's other arrays in the arena, given k4. */
  more: (k4: number) => ReadonlyArray<readonly [ArrayKind, number]>,
  extraBytes = 0,
) {
  const k = p.n_factors as number;
  const k4 = (k + 3) & ~3;
  const { nUsers, nMovies } = data;
  const arena =
    p.engine === 'wasm'
      ? new KernelArena(
          KernelArena.bytesFor([
            ['f32', nUsers * k4],
            ['f32', nMovies * k4],
            ['f32', nUsers],
            ['f32', nMovies],
            // The scorer's buffer, allocated by adoptFit.
            ['f64', nMovies],
            ...more(k4),
          ]) + extraBytes,
        )
      : null;
  const rng = new Rng(seed ?? 0);
  const arrays = new FitArrays(arena);
  const pu = arrays.factors(rng, nUsers, k, k4, p);
  const qi = arrays.factors(rng, nMovies, k, k4, p);
  return {
    k,
    k4,
    epochs: p.n_epochs as number,
    rates: termRates(p),
    rng,
    arena,
    arrays,
    pu,
    qi,
    bu: arrays.f32(nUsers),
    bi: arrays.f32(nMovies),
  };
}

export interface Scorer {
  readonly kernel: MfKernelExports;
  readonly userPtr: number;
  readonly qiPtr: number;
  readonly biPtr: number;
  readonly out: Float64Array;
  readonly outPtr: number;
  /** A spare user row for folded-in users (scorers built after a fit have one). */
  readonly foldPtr?: number;
  readonly foldRow?: Float32Array;
  /** A fold-in's Gram matrix (k4 × k4) and a batch of its movie rows, for the kernel's gramRows. */
  readonly gram?: Placed<Float32Array>;
  readonly gramRows?: Placed<Int32Array>;
}

/** Movie rows per gramRows call (a longer history takes several). */
const gramBatch = 256;

/** A scorer over factors already in `arena`, with its score buffer allocated there. */
function scorerIn(
  arena: KernelArena,
  userPtr: number,
  qiPtr: number,
  biPtr: number,
  nMovies: number,
): Scorer {
  const out = arena.alloc('f64', nMovies);
  return { kernel: arena.kernel, userPtr, qiPtr, biPtr, out: out.view, outPtr: out.ptr };
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
    const { nUsers, nMovies, size } = data;
    const { k, k4, epochs, rates, rng, arena, arrays, pu, qi, bu, bi } = startFactorFit(
      p,
      data,
      options.seed,
      () => [
        ['i32', size],
        ['i32', size],
        ['f32', size],
        ['f32', data.weights ? size : 0],
      ],
      EpochPair.bytes,
    );
    if (!biased) {
      rates.lrBu = 0;
      rates.lrBi = 0;
    }
    const mean = biased ? data.globalMean : 0;
    const f32 = (n: number) => arrays.f32(n);
    const i32 = (n: number) => arrays.i32(n);
    // Rows in visiting order, copied once so every epoch streams through memory, as four blocks
    // (user half × movie half): blocks 0,1 share no user and no movie, nor do blocks 2,3, so each
    // pair can run on two threads with the same result as on one.
    const { order, rowStart, rows } = groupByUser(data, rng);
    const userHalf = balancedHalves(rowStart, nUsers);
    const movieCounts = new Int32Array(nMovies + 1);
    for (let r = 0; r < size; r++) movieCounts[data.movies[r]! + 1]!++;
    for (let i = 0; i < nMovies; i++) movieCounts[i + 1]! += movieCounts[i]!;
    const movieHalf = balancedHalves(movieCounts, nMovies);
    const users = i32(size);
    const items = i32(size);
    const ratings = f32(size);
    const weights = data.weights ? f32(size) : null;
    const blockStart = [0];
    let t = 0;
    for (const [a, b] of blockOrder) {
      for (const u of order) {
        if (userHalf[u] !== a) continue;
        for (let s = rowStart[u]!; s < rowStart[u + 1]!; s++) {
          const row = rows[s]!;
          if (movieHalf[data.movies[row]!] !== b) continue;
          users.view[t] = u;
          items.view[t] = data.movies[row]!;
          ratings.view[t] = data.ratings[row]!;
          if (weights) weights.view[t] = data.weights![row]!;
          t++;
        }
      }
      blockStart.push(t);
    }
    this.adoptFit(k, k4, biased, pu, qi, bu, bi, arena);
    const blockArgs = (block: number): SvdEpochArgs => {
      const from = blockStart[block]!;
      const n = blockStart[block + 1]! - from;
      return [
        n,
        users.ptr + 4 * from,
        items.ptr + 4 * from,
        ratings.ptr + 4 * from,
        weights ? weights.ptr + 4 * from : 0,
        pu.ptr,
        qi.ptr,
        bu.ptr,
        bi.ptr,
        k4,
        mean,
        rates.lrBu,
        rates.lrBi,
        rates.lrPu,
        rates.lrQi,
        rates.regBu,
        rates.regBi,
        rates.regPu,
        rates.regQi,
      ];
    };
    const threads = (p.threads as number) || (isMainThread ? 2 : 1);
    // Two syncs per epoch cost more than they save on small data (the result is the same).
    const pair = arena && threads > 1 && size >= MIN_ROWS_FOR_TWO_THREADS ? EpochPair.open(arena) : null;
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        if (pair) {
          pair.run(blockArgs(0), blockArgs(1));
          pair.run(blockArgs(2), blockArgs(3));
        } else if (arena) {
          for (let block = 0; block < 4; block++) arena.kernel.svdEpoch(...blockArgs(block));
        } else {
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
        }
        if (!this.epochDone(options, epoch)) break;
      }
    } finally {
      pair?.close();
    }
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
    if (this.scorer) return this.scorer;
    const nUsers = this.userIds.length;
    const nMovies = this.movieIds.length;
    const arena = new KernelArena(
      KernelArena.bytesFor([
        ['f32', nUsers * this.k4],
        ['f32', nMovies * this.k4],
        ['f32', nMovies],
        ['f64', nMovies],
        ['f32', this.k4],
        ['f32', this.k4 * this.k4],
        ['i32', gramBatch],
      ]),
    );
    const users = arena.alloc('f32', nUsers * this.k4);
    const qi = arena.alloc('f32', nMovies * this.k4);
    const bi = arena.alloc('f32', nMovies);
    const fold = arena.alloc('f32', this.k4);
    users.view.set(this.userFactors);
    qi.view.set(this.itemFactors);
    // Unbiased models score without b_i (their b_i stay 0 anyway).
    bi.view.set(this.bi);
    this.scorer = {
      ...scorerIn(arena, users.ptr, qi.ptr, bi.ptr, nMovies),
      foldPtr: fold.ptr,
      foldRow: fold.view,
      gram: arena.alloc('f32', this.k4 * this.k4),
      gramRows: arena.alloc('i32', gramBatch),
    };
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
