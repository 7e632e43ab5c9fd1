import { runScalePipeline, type StepResult, worldShape } from '../test/helpers/scale-pipeline.ts';
import { fmt } from './measure.ts';
import type { Benchmark } from './run.ts';

/**
 * The whole loop at MovieLens-25M size (`--ratings N` or MOVIENIGHT_BENCH_SCALE_RATINGS, default 25,000,000):
 * generate → import (SQLite, and PostgreSQL when MOVIENIGHT_BENCH_PG_URL or MOVIENIGHT_TEST_PG_URL
 * is set) → train svd (100 factors, 20 epochs; with its holdout measurement, then load + fit + save
 * alone with --no-holdout) → evaluate (5 folds, ranking on every user) → tune
 * (bayesian, 20 trials, successive halving) → recommend → each report. Each step runs in its own
 * process and prints its wall time and peak RSS, and that peak per rating (the fixed part of
 * about 120 MiB included: compare two sizes for the marginal cost). Targets at 25 M on 2 cores:
 * generate ≤ 60 s; import ≤ 120 s SQLite / ≤ 240 s PostgreSQL; train ≤ 60 s and ≤ 2 GB; evaluate
 * ≤ 6 min; tune ≤ 20 min; warm recommend p50 ≤ 2 ms; each report ≤ 3 GB.
 */
const flag = process.argv.indexOf('--ratings');
const ratings = Number(
  (flag >= 0 ? process.argv[flag + 1] : undefined) ||
    process.env.MOVIENIGHT_BENCH_SCALE_RATINGS ||
    25_000_000,
);
const pgUrl = process.env.MOVIENIGHT_BENCH_PG_URL || process.env.MOVIENIGHT_TEST_PG_URL;
// Timing steps again on a folder kept by MOVIENIGHT_BENCH_SCALE_KEEP=1: MOVIENIGHT_BENCH_SCALE_DIR
// names it, MOVIENIGHT_BENCH_SCALE_STEPS (comma-separated name prefixes, e.g. "train,serve") picks.
const keptDir = process.env.MOVIENIGHT_BENCH_SCALE_DIR || undefined;
const onlySteps = process.env.MOVIENIGHT_BENCH_SCALE_STEPS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

function print(step: StepResult): void {
  const perRating = (step.peakMiB * 2 ** 20) / ratings;
  const extra = step.extra
    ? ` ${Object.entries(step.extra)
        .filter(([k]) => /Ms$|Gflops|Seconds$|Percent$|^n_/i.test(k))
        .map(([k, v]) => `${k}=${fmt(v, 2)}`)
        .join(' ')}`
    : '';
  console.log(
    `${step.name.padEnd(30)} ${fmt(step.seconds, 1).padStart(8)} s  peak ${fmt(step.peakMiB, 0).padStart(6)} MiB  (${fmt(perRating, 1)} B/rating, fixed part included)${extra}`,
  );
}

export const benchmark: Benchmark = {
  name: 'scale',
  description: 'generate → import → train → evaluate → tune → recommend → reports at 25 M ratings',
  async run() {
    if (!Number.isInteger(ratings) || ratings < 1000) {
      throw new Error(`MOVIENIGHT_BENCH_SCALE_RATINGS must be a whole number ≥ 1000, got ${ratings}`);
    }
    const shape = worldShape(ratings);
    console.log(`world: ${shape.users} users, ${shape.movies} movies, ${shape.ratings} ratings`);
    await runScalePipeline({
      ratings,
      ...(pgUrl ? { pgUrl } : {}),
      svd: { n_factors: 100, n_epochs: 20 },
      folds: 5,
      tuneTrials: 20,
      tuneFolds: 3,
      onStep: print,
      ...(keptDir ? { dir: keptDir } : {}),
      ...(onlySteps?.length ? { steps: onlySteps } : {}),
    });
  },
};
