import { fitAlsBiases } from './baseline-model.ts';
import type { FoldedUser } from './fold-in.ts';
import { groupByKey } from './group-by-key.ts';
import type { JsonValue, SectionArray } from './model-format.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import { type DenseRatings, type ParamSpecs, RatingModelBase, requireSection } from './rating-model-base.ts';

/*
 * This file is long because the k-NN model's similarity pass, its neighbour search at prediction
 * time, its fold-in and its saved state all work on the same compressed neighbour rows.
 */

export const knnBaselineParamSpecs = {
  k: { default: 40, integer: true, min: 1, max: 10_000, doc: 'most similar rated movies that vote' },
  min_k: {
    default: 1,
    integer: true,
    min: 0,
    max: 10_000,
    doc: 'fewer voting neighbours than this → the baseline alone',
  },
  shrinkage: { default: 100, min: 0, doc: 'similarity × (n−1)/(n−1+shrinkage), n = common raters' },
  min_support: {
    default: 1,
    integer: true,
    min: 1,
    doc: 'common raters below this → similarity 0 (n = 1 already gives 0 after shrinkage)',
  },
  bsl_epochs: { default: 10, integer: true, min: 1, max: 1000, doc: 'ALS passes of the baseline' },
  reg_u: { default: 15, min: 0, doc: 'baseline ALS: regularisation of user biases' },
  reg_i: { default: 10, min: 0, doc: 'baseline ALS: regularisation of movie biases' },
} as const satisfies ParamSpecs;

/**
 * `knn-baseline` — item-based k-nearest neighbours on baseline residuals (Koren 2010; Surprise's
 * KNNBaseline with `pearson_baseline` similarity, `user_based: false`).
 *
 * Baseline: b_ui = μ + b_u + b_i, biases by `bsl_epochs` passes of ALS (as the `baseline` model).
 * Similarity of movies i, j over the users U_ij who rated both, with z = r − b (the residual):
 *   s_ij = Σ z_ui z_uj / √(Σ z_ui² · Σ z_uj²) · (|U_ij| − 1) / (|U_ij| − 1 + shrinkage)
 * (0 when |U_ij| < min_support).
 * Prediction: r̂(u,i) = b_ui + Σ_{j∈N} s_ij z_uj / Σ_{j∈N} s_ij, where N is the `k` movies rated by
 * u most similar to i, of which only those with s_ij > 0 vote; with fewer than `min_k` voters the
 * sum is dropped. Unknown user or movie: the baseline terms that are known.
 * There is no loss to minimise beyond the baseline's ALS loss (see `baseline`); no seed is used.
 *
 * Storage: only positive similarities can vote, so the similarity matrix is kept sparse (CSR, the
 * positive entries of each movie's row, sorted by neighbour). Saving it would cost ~25 MB on
 * ml-latest-small, so the artifact holds the residuals instead (a few hundred kB) and loading
 * recomputes the similarities — the same arithmetic, so predictions after load are identical.
 *
 * Fold-in (a user not trained on): the neighbour rule needs only the user's residuals, so
 * b_u = Σ (r − μ − b_i) / (λ_u + |I(u)|) — the step that ends the baseline's ALS, hence exact for
 * a trained user's own ratings — then z = r − μ − b_u − b_i and the same k-NN vote over the
 * similarities learned at fit. A trained user folds back in to the same predictions.
 */
export class KnnBaselineModel extends RatingModelBase {
  readonly kind = 'knn-baseline';
  private bu = new Float64Array(0);
  private bi = new Float64Array(0);
  /** Each user's rated movies (dense, ascending) and their residuals z: CSR by user. */
  private userStart = new Int32Array(1);
  private userMovie = new Int32Array(0);
  private userResidual = new Float32Array(0);
  /** Positive similarities: CSR by movie. */
  private simStart = new Int32Array(1);
  private simNeighbor = new Int32Array(0);
  private simValue = new Float32Array(0);
  /** Scratch for prediction: the residual of the user last scattered, by dense movie. */
  private scatterUser = -1;
  private scatterMark = new Int32Array(0);
  private scatterValue = new Float32Array(0);
  private voteSim = new Float64Array(0);
  private voteZ = new Float64Array(0);
  /**
   * Scratch for scoring one user against every movie: per movie, a min-heap (by similarity) of its
   * k best voters so far — k slots per movie, movie i's at [i·k, i·k + k).
   */
  private termsUser = -1;
  private heapCount = new Int32Array(0);
  private heapSim = new Float32Array(0);
  private heapZ = new Float32Array(0);
  /** The folded-in user whose terms the heaps hold (termsUser is then -2). */
  private termsFolded: object | null = null;

  constructor(params: ModelParams) {
    super(params);
  }

  protected fitDense(data: DenseRatings, options: FitOptions): void {
    const { users, movies, ratings, size, nUsers, nMovies, globalMean: mu } = data;
    const bu = new Float64Array(nUsers);
    const bi = new Float64Array(nMovies);
    fitAlsBiases(data, {
      epochs: this.params.bsl_epochs as number,
      regU: this.params.reg_u as number,
      regI: this.params.reg_i as number,
      bu,
      bi,
    });
    // User CSR with movies ascending (rows are visited in data order, then each row is sorted).
    const { start, order } = groupByKey(users, nUsers);
    const userMovie = new Int32Array(size);
    const userResidual = new Float32Array(size);
    for (let u = 0; u < nUsers; u++) {
      const rows = order.subarray(start[u]!, start[u + 1]!).sort((a, b) => movies[a]! - movies[b]!);
      for (let p = 0; p < rows.length; p++) {
        const k = rows[p]!;
        const i = movies[k]!;
        userMovie[start[u]! + p] = i;
        userResidual[start[u]! + p] = ratings[k]! - mu - bu[u]! - bi[i]!;
      }
    }
    this.bu = bu;
    this.bi = bi;
    this.userStart = start;
    this.userMovie = userMovie;
    this.userResidual = userResidual;
    this.computeSimilarities();
    this.epochDone(options, 1);
  }

  /**
   * One pass per movie i over the upper triangle: for every user who rated i, add the part of
   * that user's row after i (rows are sorted) into dense accumulators indexed by the other movie
   * j > i (Σ_u n_u²/2 steps, ~30 M on ml-latest-small); keep the positive shrunk similarities, then
   * mirror them so each movie's row holds all its neighbours, ascending. It is long because it is
   * one hot loop over typed arrays: split into calls per movie it measured slower, and its
   * accumulators are shared by every step.
   */
  private computeSimilarities(): void {
    const nMovies = this.movieIds.length;
    const nUsers = this.userIds.length;
    const shrinkage = this.params.shrinkage as number;
    const minSupport = Math.max(2, this.params.min_support as number);
    const { userStart, userMovie, userResidual } = this;
    // Movie CSR of (user, position in that user's row), built from the user CSR.
    const { start: movieStart, order: moviePos } = groupByKey(userMovie, nMovies);
    const userOfPos = new Int32Array(userMovie.length);
    for (let u = 0; u < nUsers; u++) userOfPos.fill(u, userStart[u]!, userStart[u + 1]!);
    const prods = new Float64Array(nMovies);
    const sqI = new Float64Array(nMovies);
    const sqJ = new Float64Array(nMovies);
    const freq = new Int32Array(nMovies);
    const touched = new Int32Array(nMovies);
    // Upper-triangle entries, row by row: row i's are triStart[i] … triStart[i+1]-1.
    const triStart = new Int32Array(nMovies + 1);
    let capacity = 1 << 16;
    let triJ = new Int32Array(capacity);
    let triS = new Float32Array(capacity);
    let nnz = 0;
    for (let i = 0; i < nMovies; i++) {
      let nTouched = 0;
      for (let q = movieStart[i]!; q < movieStart[i + 1]!; q++) {
        const pi = moviePos[q]!;
        const zi = userResidual[pi]!;
        const zi2 = zi * zi;
        const end = userStart[userOfPos[pi]! + 1]!;
        for (let p = pi + 1; p < end; p++) {
          const j = userMovie[p]!;
          const zj = userResidual[p]!;
          if (freq[j] === 0) touched[nTouched++] = j;
          freq[j]!++;
          prods[j]! += zi * zj;
          sqI[j]! += zi2;
          sqJ[j]! += zj * zj;
        }
      }
      const row = touched.subarray(0, nTouched).sort();
      for (let t = 0; t < nTouched; t++) {
        const j = row[t]!;
        const f = freq[j]!;
        if (f >= minSupport) {
          const den = Math.sqrt(sqI[j]! * sqJ[j]!);
          if (den > 0) {
            const sim = (prods[j]! / den) * ((f - 1) / (f - 1 + shrinkage));
            if (sim > 0) {
              if (nnz === capacity) {
                capacity *= 2;
                const j2 = new Int32Array(capacity);
                j2.set(triJ);
                triJ = j2;
                const s2 = new Float32Array(capacity);
                s2.set(triS);
                triS = s2;
              }
              triJ[nnz] = j;
              triS[nnz] = sim;
              nnz++;
            }
          }
        }
        freq[j] = 0;
        prods[j] = 0;
        sqI[j] = 0;
        sqJ[j] = 0;
      }
      triStart[i + 1] = nnz;
    }
    // Mirror. Visiting rows in ascending i appends to row j its lower neighbour i (ascending) before
    // row j's own upper neighbours are appended, so every full row comes out sorted.
    const simStart = new Int32Array(nMovies + 1);
    for (let i = 0; i < nMovies; i++) {
      simStart[i + 1]! += triStart[i + 1]! - triStart[i]!;
      for (let e = triStart[i]!; e < triStart[i + 1]!; e++) simStart[triJ[e]! + 1]!++;
    }
    for (let i = 0; i < nMovies; i++) simStart[i + 1]! += simStart[i]!;
    const fill = simStart.slice(0, nMovies);
    const neighbor = new Int32Array(2 * nnz);
    const value = new Float32Array(2 * nnz);
    for (let i = 0; i < nMovies; i++) {
      for (let e = triStart[i]!; e < triStart[i + 1]!; e++) {
        const j = triJ[e]!;
        const pj = fill[j]!++;
        neighbor[pj] = i;
        value[pj] = triS[e]!;
        const pi = fill[i]!++;
        neighbor[pi] = j;
        value[pi] = triS[e]!;
      }
    }
    this.simStart = simStart;
    this.simNeighbor = neighbor;
    this.simValue = value;
    this.scatterUser = -1;
    this.scatterMark = new Int32Array(nMovies).fill(-1);
    this.scatterValue = new Float32Array(nMovies);
    const k = this.params.k as number;
    this.voteSim = new Float64Array(k);
    this.voteZ = new Float64Array(k);
    this.termsUser = -1;
    this.heapCount = new Int32Array(nMovies);
    this.heapSim = new Float32Array(nMovies * k);
    this.heapZ = new Float32Array(nMovies * k);
  }

  /** Puts user u's residuals where `neighbourhood` can look them up by movie in O(1). */
  private scatter(u: number): void {
    if (this.scatterUser === u) return;
    const { userStart, userMovie, userResidual, scatterMark, scatterValue } = this;
    for (let p = userStart[u]!; p < userStart[u + 1]!; p++) {
      scatterMark[userMovie[p]!] = u;
      scatterValue[userMovie[p]!] = userResidual[p]!;
    }
    this.scatterUser = u;
  }

  /** Σ s z / Σ s over the k most similar movies u rated (u already scattered); 0 without voters. */
  private neighbourhood(u: number, i: number): number {
    const k = this.params.k as number;
    const { simStart, simNeighbor, simValue, scatterMark, scatterValue, voteSim, voteZ } = this;
    // voteSim is kept sorted descending; a new neighbour enters when it beats the k-th.
    let count = 0;
    for (let p = simStart[i]!; p < simStart[i + 1]!; p++) {
      const j = simNeighbor[p]!;
      if (scatterMark[j] !== u) continue;
      const s = simValue[p]!;
      if (count === k && s <= voteSim[k - 1]!) continue;
      let pos = count < k ? count++ : k - 1;
      while (pos > 0 && voteSim[pos - 1]! < s) {
        voteSim[pos] = voteSim[pos - 1]!;
        voteZ[pos] = voteZ[pos - 1]!;
        pos--;
      }
      voteSim[pos] = s;
      voteZ[pos] = scatterValue[j]!;
    }
    if (count === 0 || count < (this.params.min_k as number)) return 0;
    let sumSim = 0;
    let sum = 0;
    for (let t = 0; t < count; t++) {
      sumSim += voteSim[t]!;
      sum += voteSim[t]! * voteZ[t]!;
    }
    return sum / sumSim;
  }

  protected estimate(u: number, i: number): number {
    let est = this.globalMean + (u >= 0 ? this.bu[u]! : 0) + (i >= 0 ? this.bi[i]! : 0);
    if (u >= 0 && i >= 0) {
      this.scatter(u);
      est += this.neighbourhood(u, i);
    }
    return est;
  }

  /**
   * Every movie's k best voters for user u at once, by walking the similarity rows of the movies u
   * rated (Σ row lengths over u's movies, ~100 k steps) instead of one row scan per movie (all ~6 M
   * stored similarities). Each movie keeps a min-heap of k voters; a voter enters only when it
   * beats the weakest, and rows are walked in ascending movie order, so ties resolve as in
   * `neighbourhood` — the same voters, summed in another order.
   */
  private fillUserTerms(u: number): void {
    if (this.termsUser === u) return;
    this.fillTerms(this.userMovie, this.userResidual, this.userStart[u]!, this.userStart[u + 1]!);
    this.termsUser = u;
    this.termsFolded = null;
  }

  /** The heaps for the rated movies `movies[from…to)` (ascending) with residuals `residuals`. */
  private fillTerms(movies: Int32Array, residuals: Float32Array, from: number, to: number): void {
    const k = this.params.k as number;
    const { heapCount, heapSim, heapZ, simStart, simNeighbor, simValue } = this;
    heapCount.fill(0);
    for (let p = from; p < to; p++) {
      const j = movies[p]!;
      const z = residuals[p]!;
      for (let e = simStart[j]!; e < simStart[j + 1]!; e++) {
        const i = simNeighbor[e]!;
        const s = simValue[e]!;
        const base = i * k;
        const n = heapCount[i]!;
        if (n < k) {
          // Push and sift up.
          let c = n;
          while (c > 0) {
            const parent = (c - 1) >> 1;
            if (heapSim[base + parent]! <= s) break;
            heapSim[base + c] = heapSim[base + parent]!;
            heapZ[base + c] = heapZ[base + parent]!;
            c = parent;
          }
          heapSim[base + c] = s;
          heapZ[base + c] = z;
          heapCount[i] = n + 1;
        } else if (s > heapSim[base]!) {
          // Replace the weakest and sift down.
          let c = 0;
          for (;;) {
            const l = 2 * c + 1;
            if (l >= k) break;
            const r = l + 1;
            const m = r < k && heapSim[base + r]! < heapSim[base + l]! ? r : l;
            if (heapSim[base + m]! >= s) break;
            heapSim[base + c] = heapSim[base + m]!;
            heapZ[base + c] = heapZ[base + m]!;
            c = m;
          }
          heapSim[base + c] = s;
          heapZ[base + c] = z;
        }
      }
    }
  }

  /** The estimate for known user u and dense movie i, from the per-user heaps. */
  private estimateFromTerms(u: number, i: number): number {
    return this.termsEstimate(this.globalMean + this.bu[u]!, i);
  }

  /** μ + b_u (given as `base`) + b_i + the vote of the heaps' voters for movie i. */
  private termsEstimate(base: number, i: number): number {
    if (i < 0) return base;
    const count = this.heapCount[i]!;
    let knn = 0;
    if (count > 0 && count >= (this.params.min_k as number)) {
      const k = this.params.k as number;
      let sumSim = 0;
      let sum = 0;
      for (let t = i * k; t < i * k + count; t++) {
        sumSim += this.heapSim[t]!;
        sum += this.heapSim[t]! * this.heapZ[t]!;
      }
      knn = sum / sumSim;
    }
    return base + this.bi[i]! + knn;
  }

  protected override foldInDense(movies: Int32Array, ratings: Float64Array): FoldedUser {
    const n = movies.length;
    const order = Int32Array.from({ length: n }, (_, t) => t).sort((a, b) => movies[a]! - movies[b]!);
    let sum = 0;
    for (let t = 0; t < n; t++) sum += ratings[t]! - this.globalMean - this.bi[movies[t]!]!;
    const bu = sum / ((this.params.reg_u as number) + n);
    const sorted = new Int32Array(n);
    const z = new Float32Array(n);
    for (let t = 0; t < n; t++) {
      const i = movies[order[t]!]!;
      sorted[t] = i;
      z[t] = ratings[order[t]!]! - this.globalMean - bu - this.bi[i]!;
    }
    const base = this.globalMean + bu;
    const token = {};
    const ensureTerms = () => {
      if (this.termsUser === -2 && this.termsFolded === token) return;
      this.fillTerms(sorted, z, 0, n);
      this.termsUser = -2;
      this.termsFolded = token;
    };
    return {
      estimate: (i) => {
        ensureTerms();
        return this.termsEstimate(base, i);
      },
      scoreMovies: (list, out) => {
        ensureTerms();
        for (let t = 0; t < list.length; t++) out[t] = this.termsEstimate(base, list[t]!);
      },
    };
  }

  protected override scoreMovies(u: number, movies: Int32Array, out: Float64Array): void {
    if (u < 0 || movies.length < 64) {
      for (let k = 0; k < movies.length; k++) out[k] = this.estimate(u, movies[k]!);
      return;
    }
    this.fillUserTerms(u);
    for (let k = 0; k < movies.length; k++) out[k] = this.estimateFromTerms(u, movies[k]!);
  }

  /** Long runs of one user (a blend scoring a catalogue) go through the per-user terms. */
  override predictMany(userIds: Int32Array, movieIds: Int32Array): Float32Array {
    if (userIds.length !== movieIds.length) return super.predictMany(userIds, movieIds); // it throws, naming both
    super.predictMany(userIds.subarray(0, 0), movieIds.subarray(0, 0)); // throws if not fitted
    const out = new Float32Array(userIds.length);
    const { min, max } = this.scale;
    for (let start = 0; start < userIds.length; ) {
      let end = start + 1;
      while (end < userIds.length && userIds[end] === userIds[start]) end++;
      const u = this.userIndexOf(userIds[start]!);
      if (end - start >= 256 && u >= 0) {
        this.fillUserTerms(u);
        for (let k = start; k < end; k++) {
          const v = this.estimateFromTerms(u, this.movieIndexOf(movieIds[k]!));
          out[k] = Math.min(Math.max(v, min), max);
        }
      } else {
        out.set(super.predictMany(userIds.subarray(start, end), movieIds.subarray(start, end)), start);
      }
      start = end;
    }
    return out;
  }

  /**
   * The movies user `userId` rated that pull movie `movieId`'s prediction most (the voting
   * neighbours, largest |s·z| first): an explanation "because you rated …". Empty when either is
   * unknown or no neighbour votes.
   */
  contributions(
    userId: number,
    movieId: number,
    limit = 3,
  ): { movieId: number; similarity: number; weight: number }[] {
    const u = this.userIndexOf(userId);
    const i = this.movieIndexOf(movieId);
    if (u < 0 || i < 0) return [];
    this.scatter(u);
    const k = this.params.k as number;
    const found: { j: number; s: number; z: number }[] = [];
    for (let p = this.simStart[i]!; p < this.simStart[i + 1]!; p++) {
      const j = this.simNeighbor[p]!;
      if (this.scatterMark[j] === u) found.push({ j, s: this.simValue[p]!, z: this.scatterValue[j]! });
    }
    found.sort((a, b) => b.s - a.s || a.j - b.j);
    const voters = found.slice(0, k);
    if (voters.length < (this.params.min_k as number)) return [];
    const total = voters.reduce((t, v) => t + v.s, 0);
    return voters
      .map((v) => ({ movieId: this.movieIds[v.j]!, similarity: v.s, weight: (v.s * v.z) / total }))
      .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.movieId - b.movieId)
      .slice(0, limit);
  }

  /** Number of stored (positive) similarities. */
  get similarityCount(): number {
    return this.simValue.length;
  }

  protected saveState(): { sections: Map<string, SectionArray>; meta?: Record<string, JsonValue> } {
    return {
      sections: new Map<string, SectionArray>([
        ['bu', this.bu],
        ['bi', this.bi],
        ['userStart', this.userStart],
        ['userMovie', this.userMovie],
        ['userResidual', this.userResidual],
      ]),
    };
  }

  protected loadState(sections: ReadonlyMap<string, SectionArray>): void {
    const nUsers = this.userIds.length;
    this.bu = requireSection(this.kind, sections, 'bu', Float64Array, nUsers);
    this.bi = requireSection(this.kind, sections, 'bi', Float64Array, this.movieIds.length);
    this.userStart = requireSection(this.kind, sections, 'userStart', Int32Array, nUsers + 1);
    const total = this.userStart[nUsers]!;
    this.userMovie = requireSection(this.kind, sections, 'userMovie', Int32Array, total);
    this.userResidual = requireSection(this.kind, sections, 'userResidual', Float32Array, total);
    this.computeSimilarities();
  }
}
