/**
 * `npm run bench ab-tests`: off-policy screens, interleaving against A/B, simulated A/B decision
 * rates and the serving hot path. `MOVIENIGHT_BENCH_AB_ROWS=ope npm run bench ab-tests` runs the
 * off-policy rows alone, without the interleaving comparisons and the serving benchmark.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { loadRatingsData } from '../src/data/load-ratings.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { startAbTest } from '../src/experiments/ab-tests.ts';
import { defaultExplorationPolicy } from '../src/experiments/exploration.ts';
import { simulateAbTests } from '../src/experiments/simulate-ab-tests.ts';
import { mlLatestSmallUsers, readRatingsByUser } from '../src/experiments/user-spread.ts';
import { createModel } from '../src/models/model-registry.ts';
import { serveRecommendations } from '../src/recommend/serve-recommendations.ts';
import { fitAndRegister } from '../src/registry/fit-and-register.ts';
import {
  defaultRankerWorld,
  type Ranker,
  RankerWorld,
  uniformUsers,
} from '../src/simulation/ranker-world.ts';
import { compareMethods, fixedHorizonUsers, usersForPower } from '../src/simulation/simulate-interleaving.ts';
import { simulateOpeScenario } from '../src/simulation/simulate-ope.ts';
import { likeShareDesignEffects } from '../src/simulation/user-clustering.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../test/helpers/data-paths.ts';
import { median, percentile } from './measure.ts';
import type { Benchmark } from './run.ts';

const pts = (x: number) => x.toFixed(2).padStart(5);
const share = (x: number) => `${(100 * x).toFixed(1).padStart(5)} %`;
/** A figure with the machine's 1-minute load average beside it (the machine may be shared). */
const row = (text: string) => console.log(`${text}  [load ${loadavg()[0]!.toFixed(2)}]`);

/**
 * Off-policy screens against the truth: the champion (true accuracy 0.70) serves 10 000 visits
 * (a 10-day window of 1 000 a day) with ε = 0.05 exploration; each challenger, truly +10 %, +5 %,
 * 0 % and −10 % relative, is estimated from that log and screened, 200 windows each.
 */
function offPolicyRows(world: RankerWorld): void {
  const champion = world.calibrate(0.7, 1, 4);
  row(
    `\noff-policy evaluation (ranker world: ${world.options.users} users, ${world.options.movies} movies, lists of ${world.options.n}; champion accuracy ${share(world.truth(champion).accuracy)}; ε ${defaultExplorationPolicy.epsilon}, pool ${defaultExplorationPolicy.pool}, 10 000 logged visits, 200 windows per row)`,
  );
  let maeSum = 0;
  const discard: Record<string, number> = {};
  for (const [name, rel] of [
    ['+10 %', 1.1],
    ['+5 %', 1.05],
    ['0 %', 1],
    ['−10 %', 0.9],
  ] as const) {
    const challenger = world.calibrate(0.7 * rel, 2, 6);
    const r = simulateOpeScenario(world, champion, challenger, {
      runs: 200,
      seed: 21,
      visits: 10_000,
      policy: defaultExplorationPolicy,
    });
    maeSum += r.maeDrPoints;
    discard[name] = r.discardRate;
    row(
      `challenger ${name.padEnd(6)} true accuracy ${share(r.trueAccuracy)}  MAE (points) SNIPS ${pts(r.maeSnipsPoints)}  DR ${pts(r.maeDrPoints)}  95 % interval holds the truth: SNIPS ${share(r.coverageSnips)}, DR ${share(r.coverageDr)}  discarded without an A/B test ${share(r.discardRate)}  ESS ${r.meanEffectiveSampleSize.toFixed(0)}  list movies logged ${share(r.matchedShare)}`,
    );
  }
  row(
    `OPE (doubly robust) MAE over the four challengers ${pts(maeSum / 4)} points (target ≤ 3); −10 % discarded ${share(discard['−10 %']!)} (target ≥ 90 %); truly better wrongly discarded: +5 % ${share(discard['+5 %']!)}, +10 % ${share(discard['+10 %']!)} (target ≤ 2 %)`,
  );
}

/** ml-latest-small's ratings per user, when the data is on this machine. */
const realUsers = mlLatestSmallDir
  ? readRatingsByUser(readFileSync(join(mlLatestSmallDir, 'ratings.csv'), 'utf8'))
  : null;

/** How different the world's users are, against the ml-latest-small figures it was calibrated on. */
function describeUsers(world: RankerWorld, champion: Ranker): void {
  const lists = Array.from(world.lists).sort((a, b) => a - b);
  const at = (p: number) => lists[Math.floor(p * (lists.length - 1))]!;
  row(
    `users: lists per user during a test median ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}, mean ${(world.totalLists / lists.length).toFixed(2)} (one per ${world.options.ratingsPerList} ml-latest-small ratings); own level sd ${world.options.userLevelSd} stars; sd of users' like share under the champion ${world.userLikeShareSd(champion).toFixed(3)} (ml-latest-small ${mlLatestSmallUsers.likeShareSd})`,
  );
  // The data comparison needs the world's lists per user to come from the data's ratings counts.
  const calibrated = world.options.activity !== null;
  const deff = likeShareDesignEffects(world, champion, calibrated ? realUsers : null, 36);
  const data = !calibrated
    ? ''
    : `, ml-latest-small users rating as many of their own movies ${deff.data === null ? `(${skipWithoutMlLatestSmall})` : deff.data.toFixed(2)}`;
  row(
    `design effect of the like share (user-level variance / independent coins) at the world's rated movies per user: ranker world ${deff.world.toFixed(2)}${data}`,
  );
}

/** Users to a correct decision by interleaving and by an A/B test, on the same world and users. */
function interleavingRows(world: RankerWorld, label: string): void {
  const champion = world.calibrate(0.7, 1, 4);
  const better = world.calibrate(0.77, 2, 6);
  const worse = world.calibrate(0.63, 2, 6);
  row(`\ninterleaving vs A/B, ${label} (same world and users, looked at daily; 200 tests per row)`);
  describeUsers(world, champion);
  const plan = { runs: 200, seed: 31, dailyUsers: 10, days: 300 };
  const up = compareMethods(world, champion, better, plan);
  const il = usersForPower(up.interleaving, 0.8);
  const ab = usersForPower(up.ab, 0.8);
  row(
    `+10 %: users until 80 % of tests activated: interleaving ${il}, A/B ${ab} (${(ab / il).toFixed(1)}× fewer; target ≥ 5×); activated interleaving ${up.interleaving.activations}/200, A/B ${up.ab.activations}/200`,
  );
  const coins = compareMethods(world, champion, better, { ...plan, abUnit: 'rating' });
  row(
    `+10 %, A/B counting each rating as an independent coin (not a valid test when users differ): ${usersForPower(coins.ab, 0.8)} users`,
  );
  const fixed = fixedHorizonUsers(world, champion, better, 100_000, 35);
  row(
    `+10 %, fixed-horizon users (α 0.02 two-sided, 80 % power) from the exact per-user effects: interleaving ${fixed.interleaving} (d_u mean ${fixed.interleavingMean.toFixed(3)}, sd ${fixed.interleavingSd.toFixed(3)}), A/B ${fixed.ab} (${(fixed.ab / fixed.interleaving).toFixed(1)}× fewer: what this world allows; A/B design effect ${fixed.designEffect.toFixed(2)}, ${fixed.abIfIndependent} users if ratings were independent)`,
  );
  const shared = compareMethods(world, champion, better, { ...plan, creditShared: true });
  const fixedShared = fixedHorizonUsers(world, champion, better, 100_000, 35, true);
  row(
    `+10 %, crediting movies both rankers held too: interleaving needs ${usersForPower(shared.interleaving, 0.8)} users (fixed-horizon ${fixedShared.interleaving}, d_u mean ${fixedShared.interleavingMean.toFixed(3)}, sd ${fixedShared.interleavingSd.toFixed(3)})`,
  );
  const likesOnly = compareMethods(world, champion, better, { ...plan, dislikeCredit: 0 });
  row(
    `+10 %, crediting likes only (no −1 for a dislike): interleaving needs ${usersForPower(likesOnly.interleaving, 0.8)} users`,
  );
  const down = compareMethods(world, champion, worse, { ...plan, seed: 32 });
  row(
    `−10 %: discarded interleaving ${down.interleaving.discards}/200, A/B ${down.ab.discards}/200; activated interleaving ${down.interleaving.activations}, A/B ${down.ab.activations}`,
  );
  const aaPlan = { runs: 400, seed: 33, dailyUsers: 50, days: 28 };
  const aa = compareMethods(world, champion, champion, aaPlan);
  const aaCoins = compareMethods(world, champion, champion, { ...aaPlan, abUnit: 'rating' });
  row(
    `A/A (the same ranker on both sides), 28 daily looks, 1 400 users per test, 400 tests: false activations interleaving ${share(aa.interleaving.activations / 400)}, A/B ${share(aa.ab.activations / 400)} (target ≤ 1 %); A/B counting ratings as independent coins ${share(aaCoins.ab.activations / 400)}`,
  );
  const twin = world.calibrate(0.7, 3, 6);
  const even = compareMethods(world, champion, twin, { runs: 200, seed: 34, dailyUsers: 50, days: 28 });
  row(
    `0 % (another ranker of the same true accuracy), 28 daily looks: activated interleaving ${share(even.interleaving.activations / 200)}, A/B ${share(even.ab.activations / 200)}`,
  );
}

/** serveRecommendations on a SQLite file with a test running, without and with exploration. */
async function servingLatency(): Promise<void> {
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
    // Alternating calls without and with exploration, so both see the same caches and machine load.
    const ms: number[] = [];
    const explored: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      const exploration = i % 2 ? { exploration: defaultExplorationPolicy } : {};
      await serveRecommendations(db, { userId: 1 + (i % 2000), n: 10 }, exploration);
      (i % 2 ? explored : ms).push(performance.now() - t0);
    }
    console.log(
      `serveRecommendations (n 10, 3 000 movies, SQLite file, A/B test running, 1 000 calls): median ${median(ms).toFixed(2)} ms, p95 ${percentile(ms, 95).toFixed(2)} ms`,
    );
    console.log(
      `  with ε ${defaultExplorationPolicy.epsilon} exploration (pool ${defaultExplorationPolicy.pool}), 1 000 calls interleaved with those: median ${median(explored).toFixed(2)} ms, p95 ${percentile(explored, 95).toFixed(2)} ms`,
    );
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The simulated decision rates of docs/versions-and-ab-tests.md (same seeds as the tests), then serving latency. */
async function run(): Promise<void> {
  const rows = process.env.MOVIENIGHT_BENCH_AB_ROWS;
  if (rows !== undefined && rows !== 'ope')
    throw new Error(`MOVIENIGHT_BENCH_AB_ROWS must be 'ope' or unset, got '${rows}'`);
  const world = new RankerWorld(defaultRankerWorld);
  offPolicyRows(world);
  if (rows === 'ope') return;
  interleavingRows(world, 'users calibrated on ml-latest-small');
  interleavingRows(
    new RankerWorld({ ...defaultRankerWorld, ...uniformUsers }),
    'users all alike (the earlier world)',
  );
  console.log('');
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

  await servingLatency();
}

export const benchmark: Benchmark = {
  name: 'ab-tests',
  description:
    'A/B decision rates by seeded simulation (A/A, +10 %, SRM), off-policy screens and interleaving against the truth, and the serving hot path',
  run,
};
