import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMovieLens } from '../src/data/read-movielens.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { runTuning, type TuningResult } from '../src/tuning/run-tuning.ts';
import type { TuningMethod } from '../src/tuning/sampler-registry.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../test/helpers/data-paths.ts';
import { fmt, timeIt } from './measure.ts';
import type { Benchmark } from './run.ts';

/**
 * Tuning on ml-latest-small with svd, 3-fold CV, 2 worker threads, default svd space, median
 * pruning on, seed 0: the wall time of 50 random trials (target < 60 s) and the best accuracy of
 * grid (81), random (50) and Bayesian (20; target within 0.5 % of the grid's best). Each method
 * runs in its own fresh database, so the Bayesian run is cold (no warm start from the others):
 * the comparison is fair. A last line shows a Bayesian run warm-started from the random run.
 */
export const benchmark: Benchmark = {
  name: 'tuning',
  description: 'svd on ml-latest-small, 3-fold, 2 workers: grid 81 / random 50 / bayesian 20',
  async run() {
    if (!mlLatestSmallDir) {
      console.log(skipWithoutMlLatestSmall);
      return;
    }
    const { ratings, movies } = await readMovieLens(mlLatestSmallDir);
    const dir = mkdtempSync(join(tmpdir(), 'movienight-tuning-bench-'));
    const only = (process.env.TUNING_BENCH_METHODS ?? 'random,bayesian,grid').split(',') as TuningMethod[];
    const results = new Map<string, { seconds: number; result: TuningResult }>();
    try {
      const tune = async (label: string, method: TuningMethod, file: string) => {
        const db = await openDatabase(join(dir, file));
        try {
          const timed = await timeIt(() =>
            runTuning(db, {
              method,
              model: 'svd',
              folds: 3,
              workers: 2,
              seed: 0,
              data: ratings,
              movies,
              bestOut: null,
            }),
          );
          results.set(label, timed);
          const r = timed.result;
          const base = r.run.config.baseline?.metrics;
          const pruned = r.trials.filter((t) => t.state === 'pruned').length;
          console.log(
            `${label.padEnd(22)} ${String(r.run.trialsDone).padStart(3)} trials (${pruned} pruned) in ${fmt(timed.seconds, 1).padStart(6)} s | best accuracy ${fmt(r.best?.metrics?.accuracy ?? Number.NaN, 4)} rmse ${fmt(r.best?.metrics?.rmse ?? Number.NaN, 4)} | default ${fmt(base?.accuracy ?? Number.NaN, 4)} | majority ${fmt(r.best?.metrics?.baselineAccuracy ?? Number.NaN, 4)}`,
          );
          console.log(`${''.padEnd(22)} best params ${JSON.stringify(r.best?.params ?? null)}`);
        } finally {
          await db.close();
        }
      };
      if (only.includes('random')) await tune('random (50)', 'random', 'random.db');
      if (only.includes('bayesian')) await tune('bayesian (20), cold', 'bayesian', 'bayesian.db');
      if (only.includes('grid')) await tune('grid (81)', 'grid', 'grid.db');
      if (only.includes('random') && only.includes('bayesian')) {
        // Warm start: the same database as the random run, so its 50 trials are prior results.
        await tune('bayesian (20), warm', 'bayesian', 'random.db');
      }
      const grid = results.get('grid (81)')?.result.best?.value;
      const bayes = results.get('bayesian (20), cold')?.result.best?.value;
      const random = results.get('random (50)');
      if (random) console.log(`random 50 trials wall time: ${fmt(random.seconds, 1)} s (target < 60 s)`);
      if (grid !== undefined && bayes !== undefined && grid !== null && bayes !== null) {
        const gap = ((grid - bayes) / grid) * 100;
        console.log(
          `bayesian (20) vs grid (81) best accuracy: ${fmt(bayes, 4)} vs ${fmt(grid, 4)}, gap ${fmt(gap, 2)} % (target ≤ 0.5 %)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
