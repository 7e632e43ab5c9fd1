import type { RatingsData } from '../src/data/ratings-data.ts';
import { readMovieLens } from '../src/data/read-movielens.ts';
import { kFoldSplits, materializeSplit } from '../src/data/splits.ts';
import { blockScorer } from '../src/models/batch-top-k.ts';
import { FactorRanker, type RankingFactors } from '../src/models/mf-kernel-rank.ts';
import { createModel } from '../src/models/model-registry.ts';
import { Rng } from '../src/random/rng.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../test/helpers/data-paths.ts';
import { fmt, median } from './measure.ts';
import type { Benchmark } from './run.ts';

/** Random factors shaped like a 10 M-rating world's svd: 60,000 movies, 100 factors. */
function worldFactors(nUsers: number, nMovies: number, k4: number): RankingFactors {
  const rng = new Rng(1);
  const normals = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal(0, std));
  return {
    k4,
    nUsers,
    nMovies,
    userFactors: normals(nUsers * k4, 0.1),
    itemFactors: normals(nMovies * k4, 0.1),
    userBase: Float32Array.from({ length: nUsers }, () => 3.5 + rng.normal(0, 0.3)),
    itemBias: normals(nMovies, 0.3),
  };
}

/**
 * Kernel throughput at 10 M scale: the fused (relaxed SIMD) and the plain SIMD build, one and two
 * threads, median of 3 each, interleaved.
 */
function kernelThroughput(): void {
  const nUsers = 4096;
  const nMovies = 60_000;
  const k4 = 100;
  const f = worldFactors(nUsers, nMovies, k4);
  const rng = new Rng(2);
  // ~60 exclusions per user, like a user's training ratings.
  const exStart = Int32Array.from({ length: nUsers + 1 }, (_, j) => j * 60);
  const exMovies = Int32Array.from({ length: nUsers * 60 }, () => rng.int(nMovies));
  const request = { users: Int32Array.from({ length: nUsers }, (_, u) => u), exStart, exMovies };
  const rankers = [true, false].map(
    (fused) => new FactorRanker(f, 10, { users: nUsers, exclusions: exMovies.length, fused }),
  );
  const runs = rankers.flatMap((ranker) =>
    ([1, 2] as const).map((threads) => ({ ranker, threads, seconds: [] as number[] })),
  );
  for (let rep = 0; rep < 3; rep++) {
    for (const run of runs) {
      const t0 = performance.now();
      run.ranker.rank(request, run.threads);
      run.seconds.push((performance.now() - t0) / 1000);
    }
  }
  const flops = 2 * k4 * nUsers * nMovies;
  for (const run of runs) {
    const s = median(run.seconds);
    const build =
      run.ranker === rankers[0]
        ? `default build (${run.ranker.arithmetic} multiply-add)`
        : 'plain SIMD build';
    console.log(
      `kernel top-10, ${nUsers} users x ${nMovies} movies x ${k4} factors, ${build}, ${run.threads} thread(s): ${fmt(s)} s, ${fmt(flops / s / 1e9, 1)} GFLOP/s`,
    );
  }
}

/** One fold's training movies per user: CSR for the block, sets for the per-user path. */
function trainingLists(train: RatingsData) {
  const users = Int32Array.from(new Set(train.users)).sort();
  const seen = new Map<number, number[]>();
  for (let r = 0; r < train.size; r++) {
    const list = seen.get(train.users[r]!) ?? [];
    list.push(train.movies[r]!);
    seen.set(train.users[r]!, list);
  }
  const excludeStart = new Int32Array(users.length + 1);
  const ex: number[] = [];
  users.forEach((u, j) => {
    ex.push(...seen.get(u)!);
    excludeStart[j + 1] = ex.length;
  });
  const sets = new Map([...seen].map(([u, list]) => [u, new Set(list)]));
  return { users, excludeStart, excludeMovies: Int32Array.from(ex), sets };
}

/**
 * ml-latest-small, svd, 5-fold (seed 0) as `evaluate --folds 5` ranks: every user's top-10 per
 * user (the path before the block) against one block on 1 and 2 threads; per fold the median of
 * 3, summed over the folds.
 */
async function perUserVersusBlock(): Promise<void> {
  if (!mlLatestSmallDir) {
    console.log(skipWithoutMlLatestSmall);
    return;
  }
  const { ratings } = await readMovieLens(mlLatestSmallDir);
  const total = { perUser: 0, block1: 0, block2: 0 };
  let ranked = 0;
  for (const split of kFoldSplits(ratings, { folds: 5, seed: 0 })) {
    const { train } = materializeSplit(ratings, split);
    const model = createModel('svd');
    model.fit(train, { seed: 0 });
    const { sets, ...lists } = trainingLists(train);
    const request = { ...lists, k: 10 };
    const scorer = blockScorer(model);
    const times = { perUser: [] as number[], block1: [] as number[], block2: [] as number[] };
    for (let rep = 0; rep < 3; rep++) {
      let t0 = performance.now();
      for (const u of lists.users) model.recommend(u, { n: 10, exclude: sets.get(u)! });
      times.perUser.push(performance.now() - t0);
      t0 = performance.now();
      scorer.topK({ ...request, threads: 1 });
      times.block1.push(performance.now() - t0);
      t0 = performance.now();
      scorer.topK({ ...request, threads: 2 });
      times.block2.push(performance.now() - t0);
    }
    total.perUser += median(times.perUser);
    total.block1 += median(times.block1);
    total.block2 += median(times.block2);
    ranked += lists.users.length;
  }
  console.log(
    `ml-latest-small svd 5-fold, top-10 of ${ranked} users over the folds: per user ${fmt(total.perUser, 0)} ms, ` +
      `block 1 thread ${fmt(total.block1, 0)} ms, block 2 threads ${fmt(total.block2, 0)} ms ` +
      `(${fmt(total.perUser / Math.min(total.block1, total.block2), 1)}x)`,
  );
}

/**
 * The batched top-k: the kernel's scoring throughput (2 × factors × users × movies over seconds)
 * on random factors shaped like a 10 M-rating world, on one and two threads; and on
 * ml-latest-small, every user's top-10 per user (as ranking was done before) against one block.
 */
export const benchmark: Benchmark = {
  name: 'ranking',
  description: 'batched top-k: kernel GFLOP/s at 60,000 movies; per-user vs block on ml-latest-small',
  async run() {
    kernelThroughput();
    await perUserVersusBlock();
  },
};
