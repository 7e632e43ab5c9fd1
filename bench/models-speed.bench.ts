import { readMovieLens } from '../src/data/read-movielens.ts';
import { crossValidate } from '../src/evaluation/cross-validate.ts';
import { createModel, loadModel } from '../src/models/model-registry.ts';
import type { RatingModel } from '../src/models/rating-model.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../test/helpers/data-paths.ts';
import { fmt, median } from './measure.ts';
import type { Benchmark } from './run.ts';

/**
 * The engine's speed figures on ml-latest-small: svd fit on all ratings (median of 5,
 * after one warm-up), per-fold fit time and RMSE of svd and svdpp in 5-fold shuffled CV (seed 0),
 * top-10 latency for one user once the model is loaded, and the fold-in of a newcomer (svd and
 * implicit-als). Targets: svd fit ≤ 0.17 s and RMSE
 * ≤ 0.874; svdpp ≤ 3 s per fold and RMSE ≤ 0.861; top-10 < 1 ms.
 */
export const benchmark: Benchmark = {
  name: 'models-speed',
  description: 'svd/svdpp fit time and CV RMSE, top-10 latency (ml-latest-small)',
  async run() {
    if (!mlLatestSmallDir) {
      console.log(skipWithoutMlLatestSmall);
      return;
    }
    const { ratings } = await readMovieLens(mlLatestSmallDir);
    console.log(`ratings: ${ratings.size}`);

    let model: RatingModel = createModel('svd');
    model.fit(ratings, { seed: 0 });
    for (const threads of [2, 1]) {
      const fits: number[] = [];
      const cpu: number[] = [];
      for (let rep = 1; rep <= 5; rep++) {
        const m = createModel('svd', { threads });
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        m.fit(ratings, { seed: rep });
        const c = process.cpuUsage(c0);
        fits.push((performance.now() - t0) / 1000);
        cpu.push((c.user + c.system) / 1e6);
        model = m;
      }
      // CPU time (all threads) beside wall time: on a shared machine wall time also counts others.
      console.log(
        `svd fit on all ratings (100 factors, 20 epochs, ${threads} thread${threads > 1 ? 's' : ''}): ` +
          `median ${fmt(median(fits))} s wall, ${fmt(median(cpu))} s CPU ` +
          `[wall ${fits.map((s) => fmt(s)).join(', ')}] (target ≤ 0.17 s; Surprise 0.867 s)`,
      );
    }

    for (const kind of ['svd', 'svdpp']) {
      const cv = await crossValidate({ kind, data: ratings, folds: 5, seed: 0, ranking: false });
      for (const f of cv.folds) {
        console.log(`${kind} fold ${f.fold}: rmse ${fmt(f.rmse, 4)}  fit ${fmt(f.fitSeconds)} s`);
      }
      console.log(
        `${kind} 5-fold mean: rmse ${fmt(cv.rmse, 4)}  mae ${fmt(cv.mae, 4)}  accuracy ${fmt(cv.accuracy, 4)}  ` +
          `fit ${fmt(cv.fitSeconds)} s per fold`,
      );
    }

    // Latency of a loaded model, as the server sees it: one user, their rated movies excluded.
    const loaded = loadModel(model.save());
    const user = ratings.users[0]!;
    const seen = new Set<number>();
    for (let k = 0; k < ratings.size; k++) if (ratings.users[k] === user) seen.add(ratings.movies[k]!);
    loaded.recommend(user, { n: 10, exclude: seen });
    const times: number[] = [];
    for (let rep = 0; rep < 300; rep++) {
      const t0 = performance.now();
      loaded.recommend(user, { n: 10, exclude: seen });
      times.push(performance.now() - t0);
    }
    console.log(
      `svd top-10 for user ${user} (${seen.size} rated excluded, loaded model): median ${fmt(median(times))} ms ` +
        `(target < 1 ms)`,
    );

    // Fold-in: a newcomer's parameters solved from their ratings, then their top-10,
    // uncached (what one request costs the first time; top-n caches it per user and history).
    const userRatings = new Map<number, number>();
    for (let k = 0; k < ratings.size; k++)
      if (ratings.users[k] === user) userRatings.set(ratings.movies[k]!, ratings.ratings[k]!);
    // implicit-als is the ranking model: the same measurement on it, fitted on every rating.
    const implicit = createModel('implicit-als');
    implicit.fit(ratings, { seed: 0 });
    const folders: [string, RatingModel][] = [
      ['svd', loaded],
      ['implicit-als', loadModel(implicit.save())],
    ];
    for (const [kind, folder] of folders) {
      for (const size of [5, userRatings.size]) {
        const history = new Map([...userRatings].slice(0, size));
        const exclude = new Set(history.keys());
        folder.foldIn!(history)!.recommend({ n: 10, exclude });
        const foldTimes: number[] = [];
        for (let rep = 0; rep < 300; rep++) {
          const t0 = performance.now();
          folder.foldIn!(history)!.recommend({ n: 10, exclude });
          foldTimes.push(performance.now() - t0);
        }
        console.log(
          `${kind} fold-in of ${size} ratings + top-10 (loaded model, uncached): median ${fmt(median(foldTimes))} ms ` +
            `(target ~1 ms)`,
        );
      }
    }
  },
};
