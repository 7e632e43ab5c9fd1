import { isMainThread } from 'node:worker_threads';
import { Rng } from '../random/rng.ts';
import { groupByKey } from './group-by-key.ts';
import { type ArrayKind, EpochPair, KernelArena, type Placed, type SvdEpochArgs } from './mf-kernel.ts';
import { initFactors } from './normal-factors.ts';
import type { ModelParams } from './rating-model.ts';
import type { DenseRatings } from './rating-model-base.ts';

/**
 * The engine under the factor models (svd, svdpp): where their arrays live (a WebAssembly kernel
 * arena or plain typed arrays), the seeded initial factors, the order the ratings are visited in
 * and its partition into four blocks, running an epoch's blocks on one or two threads, and the
 * arena a top-N scores in. The models' maths (prediction, loss, update, fold-in) stays in their
 * own files; nothing here changes a result, only where and on how many threads it is computed.
 */

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

/** The rates of one fit (`termRates`), which a fit may change (an unbiased svd zeroes the bias rates). */
export type Rates = ReturnType<typeof termRates>;

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

/** The training rows in visiting order, copied once so every epoch streams through memory. */
export interface BlockedRows {
  readonly users: Placed<Int32Array>;
  readonly items: Placed<Int32Array>;
  readonly ratings: Placed<Float32Array>;
  readonly weights: Placed<Float32Array> | null;
  /** Block b is rows blockStart[b] … blockStart[b + 1] − 1. */
  readonly blockStart: readonly number[];
}

/**
 * The rows grouped by user in a seeded order (`groupByUser`), then split into four blocks (user
 * half × movie half): blocks 0,1 share no user and no movie, nor do blocks 2,3, so each pair can
 * run on two threads with the same result as on one.
 */
export function blockedRows(data: DenseRatings, rng: Rng, arrays: FitArrays): BlockedRows {
  const { nUsers, nMovies, size } = data;
  const { order, rowStart, rows } = groupByUser(data, rng);
  const userHalf = balancedHalves(rowStart, nUsers);
  const movieCounts = new Int32Array(nMovies + 1);
  for (let r = 0; r < size; r++) movieCounts[data.movies[r]! + 1]!++;
  for (let i = 0; i < nMovies; i++) movieCounts[i + 1]! += movieCounts[i]!;
  const movieHalf = balancedHalves(movieCounts, nMovies);
  const users = arrays.i32(size);
  const items = arrays.i32(size);
  const ratings = arrays.f32(size);
  const weights = data.weights ? arrays.f32(size) : null;
  // Block of (user half, movie half) = blockOf[2·userHalf + movieHalf], a position in blockOrder.
  const blockOf = new Int32Array(4);
  blockOrder.forEach(([a, b], k) => {
    blockOf[2 * a + b] = k;
  });
  // Sizes first, then one pass in visiting order with a cursor per block: each block holds its rows
  // in the order of four filtered passes, at a quarter of their random reads.
  const sizes = new Int32Array(4);
  for (let r = 0; r < size; r++)
    sizes[blockOf[2 * userHalf[data.users[r]!]! + movieHalf[data.movies[r]!]!]!]!++;
  const blockStart = [0];
  for (let k = 0; k < 4; k++) blockStart.push(blockStart[k]! + sizes[k]!);
  const cursor = Int32Array.from(blockStart.slice(0, 4));
  for (let j = 0; j < nUsers; j++) {
    const u = order[j]!;
    const half = 2 * userHalf[u]!;
    for (let s = rowStart[u]!; s < rowStart[u + 1]!; s++) {
      const row = rows[s]!;
      const movie = data.movies[row]!;
      const t = cursor[blockOf[half + movieHalf[movie]!]!]!++;
      users.view[t] = u;
      items.view[t] = movie;
      ratings.view[t] = data.ratings[row]!;
      if (weights) weights.view[t] = data.weights![row]!;
    }
  }
  return { users, items, ratings, weights, blockStart };
}

/** The training rows grouped by user (for svdpp, which updates implicit factors once per user). */
export interface UserRows {
  /** The seeded order users are visited in. */
  readonly order: Placed<Int32Array>;
  /** Rows of user u are rowStart[u] … rowStart[u + 1] − 1. */
  readonly rowStart: Placed<Int32Array>;
  readonly items: Placed<Int32Array>;
  readonly ratings: Placed<Float32Array>;
  readonly weights: Placed<Float32Array> | null;
}

/** A grouping's rows copied into the fit's arrays, in grouped order. */
export function userRows(data: DenseRatings, grouping: UserGrouping, arrays: FitArrays): UserRows {
  const { nUsers, size } = data;
  const order = arrays.i32(nUsers);
  order.view.set(grouping.order);
  const rowStart = arrays.i32(nUsers + 1);
  rowStart.view.set(grouping.rowStart);
  const items = arrays.i32(size);
  const ratings = arrays.f32(size);
  const weights = data.weights ? arrays.f32(size) : null;
  for (let t = 0; t < size; t++) {
    const row = grouping.rows[t]!;
    items.view[t] = data.movies[row]!;
    ratings.view[t] = data.ratings[row]!;
    if (weights) weights.view[t] = data.weights![row]!;
  }
  return { order, rowStart, items, ratings, weights };
}

/** The arena arrays `blockedRows` allocates, for `startFactorFit`'s sizing. */
export function blockedRowsArrays(data: DenseRatings): ReadonlyArray<readonly [ArrayKind, number]> {
  return [
    ['i32', data.size],
    ['i32', data.size],
    ['f32', data.size],
    ['f32', data.weights ? data.size : 0],
  ];
}

/** The kernel's `svdEpoch` arguments of one block (pointers into the fit's arena). */
export function svdBlockArgs(
  rows: BlockedRows,
  factors: {
    readonly pu: Placed<Float32Array>;
    readonly qi: Placed<Float32Array>;
    readonly bu: Placed<Float32Array>;
    readonly bi: Placed<Float32Array>;
  },
  k4: number,
  mean: number,
  rates: Rates,
): (block: number) => SvdEpochArgs {
  const { users, items, ratings, weights, blockStart } = rows;
  return (block) => {
    const from = blockStart[block]!;
    const n = blockStart[block + 1]! - from;
    return [
      n,
      users.ptr + 4 * from,
      items.ptr + 4 * from,
      ratings.ptr + 4 * from,
      weights ? weights.ptr + 4 * from : 0,
      factors.pu.ptr,
      factors.qi.ptr,
      factors.bu.ptr,
      factors.bi.ptr,
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
}

/**
 * Threads of one fit: the `threads` parameter, or with 0 two in the main thread and one inside a
 * worker thread, where the caller already runs fits side by side.
 */
export function fitThreads(p: ModelParams): number {
  return (p.threads as number) || (isMainThread ? 2 : 1);
}

/** What `runBlockedEpochs` runs. */
export interface BlockedEpochs {
  /** The fit's arena; null for the js engine. */
  readonly arena: KernelArena | null;
  readonly threads: number;
  /** Training rows (a small fit stays on one thread). */
  readonly size: number;
  readonly epochs: number;
  /** Kernel arguments of each of the four blocks (wasm engine). */
  readonly kernelArgs: (block: number) => SvdEpochArgs;
  /** One whole epoch in TypeScript (js engine). */
  readonly jsEpoch: () => void;
  /** Called after each epoch; false stops the fit. */
  readonly epochDone: (epoch: number) => boolean;
}

/**
 * Runs the epochs: with two threads each pair of blocks runs at once on this thread and a partner
 * worker over the shared kernel memory; otherwise the four blocks run in order in the kernel, or
 * the js engine's epoch runs.
 */
export function runBlockedEpochs(e: BlockedEpochs): void {
  const { arena } = e;
  // Two syncs per epoch cost more than they save on small data (the result is the same).
  const pair = arena && e.threads > 1 && e.size >= MIN_ROWS_FOR_TWO_THREADS ? EpochPair.open(arena) : null;
  try {
    for (let epoch = 1; epoch <= e.epochs; epoch++) {
      if (pair) {
        pair.run(e.kernelArgs(0), e.kernelArgs(1));
        pair.run(e.kernelArgs(2), e.kernelArgs(3));
      } else if (arena) {
        for (let block = 0; block < 4; block++) arena.kernel.svdEpoch(...e.kernelArgs(block));
      } else {
        e.jsEpoch();
      }
      if (!e.epochDone(epoch)) break;
    }
  } finally {
    pair?.close();
  }
}
