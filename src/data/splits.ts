import { InvalidInputError } from '../errors.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import { Rng } from '../random/rng.ts';
import { type RatingsData, subsetRatings } from './ratings-data.ts';

/**
 * A train/test split as row indices into one RatingsData (plain data: cheap to keep, compare and
 * send to a worker). `materializeSplit` turns it into two RatingsData. Indices are sorted
 * ascending inside each side, so a split preserves the loader's stable order.
 */
export interface DataSplit {
  readonly trainIndices: Int32Array;
  readonly testIndices: Int32Array;
}

export interface MaterializedSplit {
  readonly train: RatingsData;
  readonly test: RatingsData;
}

export function materializeSplit(data: RatingsData, split: DataSplit): MaterializedSplit {
  return { train: subsetRatings(data, split.trainIndices), test: subsetRatings(data, split.testIndices) };
}

function requireInteger(name: string, value: number, min: number, max = Number.POSITIVE_INFINITY): void {
  requireWholeNumber(name, value, Number.isFinite(max) ? { min, max } : { min });
}

function requireSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new InvalidInputError(`seed must be a whole number, got ${seed}`);
}

/** Builds the split where `isTest[i] === 1` marks a test row. */
function splitFromMask(isTest: Uint8Array): DataSplit {
  let testCount = 0;
  for (let i = 0; i < isTest.length; i++) testCount += isTest[i]!;
  const trainIndices = new Int32Array(isTest.length - testCount);
  const testIndices = new Int32Array(testCount);
  let a = 0;
  let b = 0;
  for (let i = 0; i < isTest.length; i++) {
    if (isTest[i]) testIndices[b++] = i;
    else trainIndices[a++] = i;
  }
  return { trainIndices, testIndices };
}

/** 0..n-1 shuffled by a generator made from `seed`. */
function shuffledIndices(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return new Rng(seed).shuffle(order);
}

/**
 * Shuffled k-fold: rows are shuffled with `seed` and cut into `folds` parts of sizes differing by
 * at most one (as Surprise's KFold with shuffle). Fold f tests on part f and trains on the rest,
 * so every row is tested exactly once. Same seed → same folds.
 */
export function kFoldSplits(data: RatingsData, options: { folds: number; seed: number }): DataSplit[] {
  const folds = kFoldSplitter(data, options);
  return Array.from({ length: folds.count }, (_, f) => folds.split(f));
}

/**
 * The splits of `kFoldSplits`, made one at a time: only the shuffled order (4 bytes a rating) is
 * kept between folds, where all of them at once hold 4 bytes a rating per fold.
 */
export function kFoldSplitter(
  data: RatingsData,
  options: { folds: number; seed: number },
): { readonly count: number; split(fold: number): DataSplit } {
  const { folds, seed } = options;
  requireInteger('folds', folds, 2, Math.max(2, data.size));
  requireSeed(seed);
  if (data.size < folds) {
    throw new InvalidInputError(`folds (${folds}) is more than the number of ratings (${data.size})`);
  }
  const order = shuffledIndices(data.size, seed);
  return {
    count: folds,
    split(f: number): DataSplit {
      requireInteger('fold', f, 0, folds - 1);
      const start = Math.floor((f * data.size) / folds);
      const end = Math.floor(((f + 1) * data.size) / folds);
      const foldOf = new Uint8Array(data.size);
      for (let i = start; i < end; i++) foldOf[order[i]!] = 1;
      return splitFromMask(foldOf);
    },
  };
}

/** A random `testFraction` of the rows (rounded) is held out. */
export function randomHoldoutSplit(
  data: RatingsData,
  options: { testFraction?: number; seed: number },
): DataSplit {
  const testFraction = options.testFraction ?? 0.2;
  requireSeed(options.seed);
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InvalidInputError(`testFraction must be between 0 and 1 (exclusive), got ${testFraction}`);
  }
  const order = shuffledIndices(data.size, options.seed);
  const testCount = Math.round(testFraction * data.size);
  const mask = new Uint8Array(data.size);
  for (let i = 0; i < testCount; i++) mask[order[i]!] = 1;
  return splitFromMask(mask);
}

/**
 * Per-user holdout (leave-n-out): for every user with more than `minTrain + perUser - 1` ratings,
 * `perUser` of their ratings chosen at random are held out; users with fewer keep everything in
 * training (they still shape the model, they are just not scored). This is the split ranking
 * metrics are usually reported on: every scored user has a known history and a hidden future.
 */
export function perUserHoldoutSplit(
  data: RatingsData,
  options: { perUser?: number; minTrain?: number; seed: number },
): DataSplit {
  const perUser = options.perUser ?? 5;
  const minTrain = options.minTrain ?? 1;
  requireInteger('perUser', perUser, 1);
  requireInteger('minTrain', minTrain, 0);
  requireSeed(options.seed);
  const rowsByUser = groupRows(data.users);
  const rng = new Rng(options.seed);
  const mask = new Uint8Array(data.size);
  // Users are visited in ascending id order so the draw does not depend on row order accidents.
  for (const user of [...rowsByUser.keys()].sort((a, b) => a - b)) {
    const rows = rowsByUser.get(user)!;
    if (rows.length < perUser + minTrain) continue;
    const picked = rng.shuffle(Int32Array.from(rows));
    for (let i = 0; i < perUser; i++) mask[picked[i]!] = 1;
  }
  return splitFromMask(mask);
}

/**
 * Temporal split: rows rated strictly before `at` (epoch ms) train, the rest test. Without `at`,
 * the cut is the time below which `1 - testFraction` of the rows fall (ties go to test, so no
 * rating from the test period leaks into training).
 */
export function temporalSplit(
  data: RatingsData,
  options: { at?: number; testFraction?: number } = {},
): DataSplit {
  let at = options.at;
  if (at === undefined) {
    const testFraction = options.testFraction ?? 0.2;
    if (!(testFraction > 0 && testFraction < 1)) {
      throw new InvalidInputError(`testFraction must be between 0 and 1 (exclusive), got ${testFraction}`);
    }
    if (data.size === 0) throw new InvalidInputError('cannot split an empty set of ratings by time');
    const k = Math.min(data.size - 1, Math.floor((1 - testFraction) * data.size));
    at = kthSmallest(Float64Array.from(data.timestamps), k);
  } else if (!Number.isFinite(at)) {
    throw new InvalidInputError(`at must be a time in epoch milliseconds, got ${at}`);
  }
  const mask = new Uint8Array(data.size);
  for (let i = 0; i < data.size; i++) mask[i] = data.timestamps[i]! >= at ? 1 : 0;
  return splitFromMask(mask);
}

/**
 * The k-th smallest value (0-based) of `values`, which it reorders: what sorting and reading index
 * k gives, in linear expected time (a quickselect with a median-of-three pivot and a three-way
 * partition, so runs of equal values, common among rating times, cost nothing extra). Sorting
 * 25 M times took about 3 s of `train`'s holdout split.
 */
export function kthSmallest(values: Float64Array, k: number): number {
  if (!(Number.isInteger(k) && k >= 0 && k < values.length))
    throw new RangeError(`k must be an index of the ${values.length} values, got ${k}`);
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const a = values[lo]!;
    const b = values[(lo + hi) >>> 1]!;
    const c = values[hi]!;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    // values[lo…lt) < pivot, [lt…i) = pivot, (gt…hi] > pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = values[i]!;
      if (v < pivot) {
        values[i++] = values[lt]!;
        values[lt++] = v;
      } else if (v > pivot) {
        values[i] = values[gt]!;
        values[gt--] = v;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return values[k]!;
}

/** Row indices per id, in row order. */
export function groupRows(ids: Int32Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let rows = out.get(id);
    if (!rows) {
      rows = [];
      out.set(id, rows);
    }
    rows.push(i);
  }
  return out;
}
