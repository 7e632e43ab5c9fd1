import type { RatingsData } from '../data/ratings-data.ts';
import { type RankingMetrics, rankingMetrics } from '../metrics/ranking-metrics.ts';
import { blockScorer } from '../models/batch-top-k.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { Rng } from '../random/rng.ts';

/** How `rankFold` ranks: a seeded sample of users, and the thread count. */
export interface FoldRankingOptions {
  /** Rank only this many users (a seeded sample of those with a relevant test movie); default all. */
  readonly users?: number;
  /** Seeds the sample; default 0. */
  readonly seed?: number;
  /** 1, 2, or 0 (default): 2 on the main thread when the work is big enough, 1 in a worker. */
  readonly threads?: number;
  /** The training part is these rows of `train` (as `FitOptions.rows`); default every row. */
  readonly trainRows?: Int32Array;
}

/** One fold's ranking metrics and what computing them cost. */
export interface FoldRanking {
  readonly metrics: RankingMetrics;
  /** Users with at least one relevant test movie (the population the sample is drawn from). */
  readonly candidates: number;
  /** Users ranked (all candidates unless a sample was asked for). */
  readonly ranked: number;
  /** Wall time of the whole ranking step (exclusion lists, top-k, metrics). */
  readonly seconds: number;
  /** Of which the top-k scoring alone. */
  readonly scoringSeconds: number;
  /**
   * CPU seconds of the whole ranking step, all threads of the process (on a shared machine the
   * wall time also counts other processes' turns).
   */
  readonly cpuSeconds: number;
  /** Floating-point operations of the factor kernel (0 when the model was scored user by user). */
  readonly flops: number;
}

/** Each test user's liked test movies (rating at or above the like line). */
function relevantMovies(test: RatingsData, threshold: number): Map<number, Set<number>> {
  const relevant = new Map<number, Set<number>>();
  for (let i = 0; i < test.size; i++) {
    if (test.ratings[i]! < threshold) continue;
    const u = test.users[i]!;
    let set = relevant.get(u);
    if (!set) {
      set = new Set();
      relevant.set(u, set);
    }
    set.add(test.movies[i]!);
  }
  return relevant;
}

/** The users to rank, ascending: all of `pool`, or a seeded sample of `size` of them. */
function rankingSample(pool: readonly number[], size: number | undefined, seed: number): Int32Array {
  const sorted = Int32Array.from(pool).sort();
  if (size === undefined || size >= sorted.length) return sorted;
  return new Rng(seed).shuffle(sorted).slice(0, size).sort();
}

/** Each ranked user's training movies as CSR (the exclusions), and the training catalogue size. */
function trainingExclusions(train: RatingsData, users: Int32Array, rows: Int32Array | undefined) {
  const slot = new Map<number, number>();
  for (let j = 0; j < users.length; j++) slot.set(users[j]!, j);
  const start = new Int32Array(users.length + 1);
  const catalogue = new Set<number>();
  const n = rows ? rows.length : train.size;
  for (let t = 0; t < n; t++) {
    const r = rows ? rows[t]! : t;
    catalogue.add(train.movies[r]!);
    const j = slot.get(train.users[r]!);
    if (j !== undefined) start[j + 1]!++;
  }
  for (let j = 0; j < users.length; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, users.length);
  const movies = new Int32Array(start[users.length]!);
  for (let t = 0; t < n; t++) {
    const r = rows ? rows[t]! : t;
    const j = slot.get(train.users[r]!);
    if (j !== undefined) movies[fill[j]!++] = train.movies[r]!;
  }
  return { start, movies, catalogueSize: catalogue.size };
}

/**
 * Ranking metrics of one fold: each test user's top-k over the movies unseen in their training
 * (relevant = their test movies at or above the like line), all users scored as one block through
 * `blockScorer` (the factor kernel on both cores for svd and svdpp, the model's own `recommend`
 * per user for the others), optionally on a seeded sample of the users.
 */
export function rankFold(
  model: RatingModel,
  train: RatingsData,
  test: RatingsData,
  threshold: number,
  k: number,
  options: FoldRankingOptions = {},
): FoldRanking {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const relevant = relevantMovies(test, threshold);
  const users = rankingSample([...relevant.keys()], options.users, options.seed ?? 0);
  const { start, movies, catalogueSize } = trainingExclusions(train, users, options.trainRows);
  const t1 = performance.now();
  const top = blockScorer(model).topK({
    users,
    excludeStart: start,
    excludeMovies: movies,
    k,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const scoringSeconds = (performance.now() - t1) / 1000;
  const recommendations = new Map<number, number[]>();
  for (let j = 0; j < users.length; j++) {
    const list: number[] = [];
    for (let t = 0; t < k; t++) {
      const movie = top.movies[j * k + t]!;
      if (movie >= 0) list.push(movie);
    }
    recommendations.set(users[j]!, list);
  }
  return {
    metrics: rankingMetrics(recommendations, relevant, k, catalogueSize),
    candidates: relevant.size,
    ranked: users.length,
    seconds: (performance.now() - t0) / 1000,
    scoringSeconds,
    cpuSeconds: cpuSecondsSince(cpu0),
    flops: top.flops,
  };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Ranking metrics of one fold over every user with a relevant test movie (see `rankFold`). */
export function foldRanking(
  model: RatingModel,
  train: RatingsData,
  test: RatingsData,
  threshold: number,
  k: number,
): RankingMetrics {
  return rankFold(model, train, test, threshold, k).metrics;
}
