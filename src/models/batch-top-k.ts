import { FactorRanker, type RankingFactors } from './mf-kernel-rank.ts';
import type { RatingModel } from './rating-model.ts';
import { SvdModel } from './svd-model.ts';

/**
 * Users to rank (raw ids) and, per user, the raw movie ids never to return (usually the movies they
 * rated in training) as CSR: user j's are excludeMovies[excludeStart[j]] … [excludeStart[j+1]−1].
 */
export interface BatchTopKRequest {
  readonly users: Int32Array;
  readonly excludeStart: Int32Array;
  readonly excludeMovies: Int32Array;
  /** Entries per user. */
  readonly k: number;
  /** 1 or 2, or 0 (default): 2 on the main thread when the work is big enough, 1 in a worker. */
  readonly threads?: number;
}

/** Each user's top-k (raw movie ids, best first; -1 pads a shorter list), in request order. */
export interface BatchTopK {
  readonly k: number;
  readonly movies: Int32Array;
  /**
   * Floating-point operations the factor kernel spent (2 × factors per user × movie scored), or 0
   * when the model was scored user by user (a model that is not factor-based, or users it never saw).
   */
  readonly flops: number;
}

/**
 * Top-k for many users at once, one interface for every model. Factor models (svd, svdpp) score
 * blocks of users × movies as a matrix product in the WebAssembly kernel on one or two threads
 * (see `FactorRanker`); every other model, and users a factor model never saw, go through the
 * model's own `recommend` one user at a time — the same lists as before, just called in a loop.
 * Either way the order is the model's score, ties to the smaller movie id. Build one per fitted
 * model (it reads the factors once) and reuse it.
 */
export interface BlockScorer {
  /** True when the blocked factor kernel ranks this model's known users. */
  readonly blocked: boolean;
  topK(request: BatchTopKRequest): BatchTopK;
}

/** The block scorer for `model` (fitted): blocked for factor models, per user for the rest. */
export function blockScorer(model: RatingModel): BlockScorer {
  const factors = factorFormOf(model);
  return factors ? new FactorBlockScorer(model, factors) : new PerUserBlockScorer(model);
}

/** The model's `recommend`, one user at a time. */
class PerUserBlockScorer implements BlockScorer {
  readonly blocked = false;
  constructor(private readonly model: RatingModel) {}

  topK(request: BatchTopKRequest): BatchTopK {
    const { users, k } = request;
    const movies = new Int32Array(users.length * k).fill(-1);
    for (let j = 0; j < users.length; j++) this.rankOne(request, j, movies);
    return { k, movies, flops: 0 };
  }

  /** User j of the request through `recommend`, into their slots of `out`. */
  rankOne(request: BatchTopKRequest, j: number, out: Int32Array): void {
    const { k, excludeStart, excludeMovies } = request;
    const exclude = new Set(excludeMovies.subarray(excludeStart[j]!, excludeStart[j + 1]!));
    const recs = this.model.recommend(request.users[j]!, { n: k, exclude });
    for (let t = 0; t < recs.length; t++) out[j * k + t] = recs[t]!.movieId;
  }
}

/** A factor model's arrays with its id maps. */
interface FactorForm {
  readonly factors: RankingFactors;
  /** Dense movie index → raw id, ascending. */
  readonly movieIds: Int32Array;
  readonly userIndexOf: (userId: number) => number;
  readonly movieIndexOf: (movieId: number) => number;
}

/**
 * The factors of an svd-family model as the kernel takes them (shared with the model, not copied),
 * with μ + b_u folded into one base per user; undefined for any other model.
 */
function factorFormOf(model: RatingModel): FactorForm | undefined {
  if (!(model instanceof SvdModel)) return undefined;
  const a = model.rankingArrays();
  const nUsers = a.bu.length;
  const nMovies = a.movieIds.length;
  const userBase = new Float32Array(nUsers);
  if (a.biased) for (let u = 0; u < nUsers; u++) userBase[u] = a.globalMean + a.bu[u]!;
  return {
    factors: {
      k4: a.k4,
      nUsers,
      nMovies,
      userFactors: a.userFactors,
      userBase,
      itemFactors: a.itemFactors,
      itemBias: a.biased ? a.bi : new Float32Array(nMovies),
    },
    movieIds: a.movieIds,
    userIndexOf: a.userIndexOf,
    movieIndexOf: a.movieIndexOf,
  };
}

/** Users per kernel batch: a few MB of user rows and exclusions in kernel memory. */
const BATCH_USERS = 16_384;

class FactorBlockScorer implements BlockScorer {
  readonly blocked = true;
  private readonly perUser: PerUserBlockScorer;
  private ranker: FactorRanker | null = null;
  private capacity = { users: 0, exclusions: 0 };

  constructor(
    model: RatingModel,
    private readonly form: FactorForm,
  ) {
    this.perUser = new PerUserBlockScorer(model);
  }

  topK(request: BatchTopKRequest): BatchTopK {
    const { users, k } = request;
    const movies = new Int32Array(users.length * k).fill(-1);
    const known: number[] = [];
    for (let j = 0; j < users.length; j++) {
      if (this.form.userIndexOf(users[j]!) >= 0) known.push(j);
      else this.perUser.rankOne(request, j, movies);
    }
    if (known.length === 0) return { k, movies, flops: 0 };
    const dense = this.denseRequest(request, known);
    const ranked = this.rankerFor(k, dense.exStart).rank(dense, request.threads ?? 0);
    const { movieIds } = this.form;
    for (let t = 0; t < known.length; t++) {
      const j = known[t]!;
      for (let c = 0; c < k; c++) {
        const i = ranked.movies[t * k + c]!;
        movies[j * k + c] = i < 0 ? -1 : movieIds[i]!;
      }
    }
    const { k4, nMovies } = this.form.factors;
    return { k, movies, flops: 2 * k4 * nMovies * known.length };
  }

  /** The known users of the request with dense ids; exclusions unknown to the model dropped. */
  private denseRequest(request: BatchTopKRequest, known: readonly number[]) {
    const { excludeStart, excludeMovies } = request;
    const users = new Int32Array(known.length);
    const exStart = new Int32Array(known.length + 1);
    let total = 0;
    for (const j of known) total += excludeStart[j + 1]! - excludeStart[j]!;
    const exMovies = new Int32Array(total);
    let w = 0;
    for (let t = 0; t < known.length; t++) {
      const j = known[t]!;
      users[t] = this.form.userIndexOf(request.users[j]!);
      for (let e = excludeStart[j]!; e < excludeStart[j + 1]!; e++) {
        const i = this.form.movieIndexOf(excludeMovies[e]!);
        if (i >= 0) exMovies[w++] = i;
      }
      exStart[t + 1] = w;
    }
    return { users, exStart, exMovies: exMovies.subarray(0, w) };
  }

  /**
   * A ranker big enough for batches of this request (kept between calls; rebuilt, with room to
   * spare, only when k changes or a batch would not fit).
   */
  private rankerFor(k: number, exStart: Int32Array): FactorRanker {
    const n = exStart.length - 1;
    const users = Math.min(n, BATCH_USERS);
    let exclusions = 0;
    for (let from = 0; from < n; from += users) {
      exclusions = Math.max(exclusions, exStart[Math.min(n, from + users)]! - exStart[from]!);
    }
    const cap = this.capacity;
    if (this.ranker && this.ranker.k === k && cap.users >= users && cap.exclusions >= exclusions) {
      return this.ranker;
    }
    // A new k alone keeps the capacity; exclusions grow (doubling) only when a request needs more,
    // so callers that alternate k do not double the ranker's memory at every switch. They start at
    // the catalogue's size, which any one user's exclusions fit: a server ranking one user at a time
    // never rebuilds the ranker (re-laying out every movie's factors) for a user with more ratings.
    const grown = Math.max(exclusions, 2 * cap.exclusions, 1024, this.form.factors.nMovies);
    this.capacity = {
      users: Math.max(users, cap.users),
      exclusions: cap.exclusions >= exclusions ? cap.exclusions : grown,
    };
    this.ranker?.close();
    this.ranker = new FactorRanker(this.form.factors, k, this.capacity);
    return this.ranker;
  }
}
