import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { loadRatingsData } from '../src/data/load-ratings.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { startAbTest } from '../src/experiments/ab-tests.ts';
import { simulateAbTests } from '../src/experiments/simulate-ab-tests.ts';
import { createModel } from '../src/models/model-registry.ts';
import { serveRecommendations } from '../src/recommend/serve-recommendations.ts';
import { fitAndRegister } from '../src/registry/fit-and-register.ts';
import { median, percentile } from './measure.ts';
import type { Benchmark } from './run.ts';

/** The simulated decision rates of docs/versions-and-ab-tests.md (same seeds as the tests), then serving latency. */
async function run(): Promise<void> {
  const daily = 286; // 2 000 rated recommendations per arm over the default 14 days
  const scenarios = [
    { name: 'A/A, accuracy 0.70, 2 000/arm', runs: 600, seed: 11, a: 0.7, b: 0.7, daily },
    { name: 'A/A, accuracy 0.55, 2 000/arm', runs: 500, seed: 12, a: 0.55, b: 0.55, daily },
    { name: '+10 % (0.70 → 0.77), 2 000/arm', runs: 500, seed: 13, a: 0.7, b: 0.77, daily },
    { name: '+10 %, 1 500/arm', runs: 500, seed: 13, a: 0.7, b: 0.77, daily: 214 },
    { name: '+10 %, 1 000/arm', runs: 500, seed: 13, a: 0.7, b: 0.77, daily: 143 },
    { name: '+5 % (0.70 → 0.735), 2 000/arm', runs: 500, seed: 13, a: 0.7, b: 0.735, daily },
    { name: '−10 % (0.70 → 0.63), 2 000/arm', runs: 500, seed: 15, a: 0.7, b: 0.63, daily },
  ];
  for (const s of scenarios) {
    const r = simulateAbTests({
      runs: s.runs,
      seed: s.seed,
      championAccuracy: s.a,
      challengerAccuracy: s.b,
      dailyOutcomes: s.daily,
      traffic: 0.5,
    });
    console.log(
      `${s.name.padEnd(34)} tests ${r.runs}  activated ${(100 * r.activationRate).toFixed(1).padStart(5)} %  discarded ${r.outcomes.discard}  mean n/arm at the end ${r.meanSamplesPerArm.toFixed(0)}`,
    );
  }
  const srm = simulateAbTests({
    runs: 200,
    seed: 14,
    championAccuracy: 0.7,
    challengerAccuracy: 0.7,
    dailyOutcomes: daily,
    traffic: 0.5,
    arrivalShare: 0.45,
  });
  console.log(
    `1:1 traffic arriving 55:45               tests ${srm.runs}  activated ${srm.outcomes.activate}  blocked by SRM at some look ${srm.blockedAtSomeLook}`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'movienight-bench-ab-'));
  try {
    const db = await openDatabase(join(dir, 'movies.db'));
    await generateIntoDatabase(db, { users: 2000, movies: 3000, ratings: 100_000, seed: 5 });
    const data = await loadRatingsData(db);
    for (const kind of ['baseline', 'svd']) {
      await fitAndRegister(db, { model: createModel(kind), data, seed: 1, reason: 'manual' });
    }
    await startAbTest(db, { challengerVersion: 2 });
    for (let u = 1; u <= 50; u++) await serveRecommendations(db, { userId: u, n: 10 });
    const ms: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t0 = performance.now();
      await serveRecommendations(db, { userId: 1 + (i % 2000), n: 10 });
      ms.push(performance.now() - t0);
    }
    console.log(
      `serveRecommendations (n 10, 3 000 movies, SQLite file, A/B test running, 1 000 calls): median ${median(ms).toFixed(2)} ms, p95 ${percentile(ms, 95).toFixed(2)} ms`,
    );
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'ab-tests',
  description: 'A/B decision rates by seeded simulation (A/A, +10 %, SRM) and the serving hot path',
  run,
};
