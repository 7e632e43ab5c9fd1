import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { type ArmCounts, accuracyVariance, analyseAbTest, defaultAbPolicy, emptyArm } from './ab-analysis.ts';
import { assignArm, assignmentBucket } from './assignment.ts';
import { simulateAbTests } from './simulate-ab-tests.ts';
import {
  chiSquare1Upper,
  mixtureSequentialTest,
  normalCdf,
  proportion,
  type RatioSums,
  ratioVariance,
  rmse,
  sampleRatioCheck,
} from './statistics.ts';

describe('statistics', () => {
  it('matches textbook values', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
    // chi-square(1): 3.841 is the 5 % point, 10.828 the 0.1 % point.
    expect(chiSquare1Upper(3.841459)).toBeCloseTo(0.05, 5);
    expect(chiSquare1Upper(10.827566)).toBeCloseTo(0.001, 6);
    // Wilson interval of 8/10 (hand-computed: 0.4902 … 0.9433).
    const w = proportion(8, 10);
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
  });

  it('computes RMSE with an interval around it', () => {
    // Errors 1, −1, 2, −2: mse 2.5, rmse 1.5811.
    const r = rmse({ n: 4, sumSquares: 10, sumFourth: 34 });
    expect(r.value).toBeCloseTo(Math.sqrt(2.5), 10);
    expect(r.low).toBeLessThan(r.value);
    expect(r.high).toBeGreaterThan(r.value);
  });

  it('mSPRT: Λ grows with evidence and its confidence sequence is wider than the fixed one', () => {
    const weak = mixtureSequentialTest(0.01, 0.0004, 0.05, 0.05);
    const strong = mixtureSequentialTest(0.08, 0.0001, 0.05, 0.05);
    expect(weak.significant).toBe(false);
    expect(strong.significant).toBe(true);
    expect(strong.low).toBeGreaterThan(0);
    // The always-valid interval pays for peeking: wider than 0.08 ± 1.96·0.01.
    expect(strong.high - strong.low).toBeGreaterThan(2 * 1.96 * 0.01);
    // Λ ≥ 1/α exactly when the sequence excludes 0.
    for (const d of [0.02, 0.03, 0.035, 0.04, 0.05]) {
      const t = mixtureSequentialTest(d, 0.0001, 0.05, 0.05);
      expect(t.significant).toBe(t.low > 0);
    }
  });

  it('SRM: 1:1 traffic arriving 55:45 is a mismatch, 50.5:49.5 is not', () => {
    expect(sampleRatioCheck(1100, 900, 0.5).mismatch).toBe(true);
    expect(sampleRatioCheck(1010, 990, 0.5).mismatch).toBe(false);
    // A 10 % challenger share is honoured as the expectation.
    expect(sampleRatioCheck(9000, 1000, 0.1).mismatch).toBe(false);
    expect(sampleRatioCheck(9000, 1000, 0.1).expected.challenger).toBeCloseTo(1000, 6);
  });
});

describe('assignment', () => {
  it('is sticky, honours the share, and differs between tests', () => {
    let inB = 0;
    let same = 0;
    const users = 20_000;
    for (let u = 1; u <= users; u++) {
      expect(assignArm(3, u, 0.3)).toBe(assignArm(3, u, 0.3));
      if (assignArm(3, u, 0.3) === 'challenger') inB += 1;
      if (assignArm(3, u, 0.5) === assignArm(4, u, 0.5)) same += 1;
      const b = assignmentBucket(3, u);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
    }
    expect(inB / users).toBeGreaterThan(0.29);
    expect(inB / users).toBeLessThan(0.31);
    // Another test reshuffles: about half agree, not all.
    expect(same / users).toBeGreaterThan(0.48);
    expect(same / users).toBeLessThan(0.52);
    // No SRM from the hash itself.
    let a = 0;
    for (let u = 1; u <= users; u++) if (assignArm(9, u, 0.5) === 'champion') a += 1;
    expect(sampleRatioCheck(a, users - a, 0.5).mismatch).toBe(false);
  });
});

/** Per-user sums of (hits_u, n_u) pairs. */
const sumsOf = (users: ReadonlyArray<readonly [number, number]>): RatioSums => ({
  units: users.length,
  sumY: users.reduce((s, [y]) => s + y, 0),
  sumN: users.reduce((s, [, n]) => s + n, 0),
  sumYY: users.reduce((s, [y]) => s + y * y, 0),
  sumNN: users.reduce((s, [, n]) => s + n * n, 0),
  sumYN: users.reduce((s, [y, n]) => s + y * n, 0),
});

describe('the delta method for accuracy with the user as the unit', () => {
  it('gives p(1 − p)/n when every user rates once, and p(1 − p)/users when a user’s ratings all agree', () => {
    // 10 users with one rating each, 6 hits: the independent-coins variance (times k/(k − 1)).
    const single = sumsOf([...Array(6).fill([1, 1]), ...Array(4).fill([0, 1])]);
    expect(ratioVariance(single)).toBeCloseTo(((0.6 * 0.4) / 10) * (10 / 9), 12);
    // 10 users with 5 ratings each, 6 of them hit all 5, 4 none: only 10 independent draws, not 50.
    // Σ(y − R·n)² = 6·(5 − 3)² + 4·(0 − 3)² = 60, (Σn)² = 2 500: 60/2 500 · 10/9.
    const clustered = sumsOf([...Array(6).fill([5, 5]), ...Array(4).fill([0, 5])]);
    expect(ratioVariance(clustered)).toBeCloseTo((60 / 2500) * (10 / 9), 12);
    expect(ratioVariance(clustered)).toBeCloseTo(((0.6 * 0.4) / 10) * (10 / 9), 12);
    // Five times the variance of the same 30 hits of 50 counted as independent coins.
    expect(ratioVariance(clustered) / ((0.6 * 0.4) / 50)).toBeCloseTo(5 * (10 / 9), 9);
    expect(ratioVariance(sumsOf([[3, 5]]))).toBeNaN();
  });

  it('matches the spread of the accuracy over many seeded tests of users who differ', () => {
    // 400 users, each with 1–40 ratings and an own accuracy around 0.7 (sd 0.15).
    const rng = new Rng(42);
    const estimates: number[] = [];
    const variances: number[] = [];
    let ratings = 0;
    for (let rep = 0; rep < 1500; rep++) {
      const users: [number, number][] = [];
      for (let u = 0; u < 400; u++) {
        const n = 1 + Math.floor(rng.next() ** 2 * 40);
        const p = Math.min(1, Math.max(0, 0.7 + rng.normal(0, 0.15)));
        let y = 0;
        for (let j = 0; j < n; j++) if (rng.next() < p) y += 1;
        users.push([y, n]);
      }
      const s = sumsOf(users);
      estimates.push(s.sumY / s.sumN);
      ratings += s.sumN;
      variances.push(ratioVariance(s));
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const empirical = estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1);
    const delta = variances.reduce((a, b) => a + b, 0) / variances.length;
    // The delta method's variance is the real one within sampling error (SE of a variance
    // estimated from 1 500 draws is about 4 %) …
    expect(delta / empirical).toBeGreaterThan(0.9);
    expect(delta / empirical).toBeLessThan(1.1);
    // … while counting every rating as an independent coin understates it several times.
    const coins = (mean * (1 - mean)) / (ratings / estimates.length);
    expect(empirical / coins).toBeGreaterThan(2.5);
  });

  it('widens the A/B interval and withholds a verdict the independent-coins view would give', () => {
    // 2 000 ratings per arm from 100 users each (20 per user), users who agree with themselves.
    const arm = (hitUsers: number): ArmCounts => ({
      ...emptyArm,
      users: 100,
      served: 4000,
      n: 2000,
      hits: 20 * hitUsers,
      raters: 100,
      sumRatedSquared: 100 * 400,
      sumHitsSquared: hitUsers * 400,
      sumHitsRated: hitUsers * 400,
    });
    const coins = (a: ArmCounts): ArmCounts => ({
      ...a,
      raters: a.n,
      sumRatedSquared: a.n,
      sumHitsSquared: a.hits,
      sumHitsRated: a.hits,
    });
    const [a, b] = [arm(70), arm(80)];
    expect(accuracyVariance(a)).toBeCloseTo(((0.7 * 0.3) / 100) * (100 / 99), 9);
    expect(accuracyVariance(coins(a))).toBeCloseTo(((0.7 * 0.3) / 2000) * (2000 / 1999), 12);
    const byUser = analyseAbTest(a, b, 0.5, 5, defaultAbPolicy);
    const byRating = analyseAbTest(coins(a), coins(b), 0.5, 5, defaultAbPolicy);
    expect(byRating.verdict.action).toBe('activate');
    expect(byUser.verdict.action).toBe('continue');
    const width = (x: { low: number; high: number }) => x.high - x.low;
    expect(width(byUser.difference.accuracy) / width(byRating.difference.accuracy)).toBeGreaterThan(4);
    expect(width(byUser.arms.champion.accuracy)).toBeGreaterThan(3 * width(byRating.arms.champion.accuracy));
  });
});

describe('verdicts', () => {
  // One rated recommendation per user (n_u = 1): the user-level variance is the binomial one.
  const arm = (n: number, hits: number, users = n): ArmCounts => ({
    users,
    served: users * 10,
    n,
    hits,
    liked: Math.round(n / 2),
    sumSquares: n * 0.8,
    sumFourth: n * 2,
    raters: n,
    sumRatedSquared: n,
    sumHitsSquared: hits,
    sumHitsRated: hits,
  });

  it('activates a clear winner, discards a clear loser, waits for samples, and SRM blocks', () => {
    const p = { ...defaultAbPolicy, minSamples: 300 };
    expect(analyseAbTest(arm(2000, 1400), arm(2000, 1600), 0.5, 5, p).verdict.action).toBe('activate');
    expect(analyseAbTest(arm(2000, 1400), arm(2000, 1200), 0.5, 5, p).verdict.action).toBe('discard');
    expect(analyseAbTest(arm(100, 70), arm(100, 95), 0.5, 5, p).verdict.action).toBe('continue');
    expect(analyseAbTest(arm(2000, 1400), arm(2000, 1410), 0.5, 5, p).verdict.action).toBe('continue');
    expect(analyseAbTest(arm(2000, 1400), arm(2000, 1410), 0.5, 14, p).verdict.action).toBe('discard');
    const blocked = analyseAbTest(arm(2000, 1400, 1100), arm(2000, 1600, 900), 0.5, 5, p);
    expect(blocked.verdict.action).toBe('blocked');
    expect(blocked.verdict.reason).toMatch(/sample ratio mismatch/);
  });

  it('a champion with zero accuracy can still lose to a real improvement', () => {
    expect(analyseAbTest(arm(500, 0), arm(500, 200), 0.5, 5, defaultAbPolicy).verdict.action).toBe(
      'activate',
    );
  });

  it('needs the relative improvement threshold, not only significance', () => {
    // +3 points on 0.8 is 3.75 % relative: real with 20 000 per arm, but below 5 %.
    const a = analyseAbTest(arm(20_000, 16_000), arm(20_000, 16_600), 0.5, 5, defaultAbPolicy);
    expect(a.sequential.significant).toBe(true);
    expect(a.verdict.action).toBe('continue');
    expect(a.verdict.reason).toMatch(/below the 5.0 % threshold/);
  });
});

/**
 * The recommended size (docs/versions-and-ab-tests.md): 2 000 rated recommendations per arm,
 * i.e. 286 a day over the default 14 days, peeked at daily.
 */
describe('simulations (fixed seeds, looked at every day)', () => {
  const daily = 286;

  it('A/A: the challenger is activated in at most 1 % of 600 tests', () => {
    const r = simulateAbTests({
      runs: 600,
      seed: 11,
      championAccuracy: 0.7,
      challengerAccuracy: 0.7,
      dailyOutcomes: daily,
      traffic: 0.5,
    });
    expect(r.outcomes.activate / r.runs).toBeLessThanOrEqual(0.01);
    // The discard side is bounded the same way; the rest end at max days.
    expect(r.outcomes.activate + r.outcomes.discard).toBe(r.runs);
  });

  it('A/A at another baseline accuracy (0.55): still at most 1 %', () => {
    const r = simulateAbTests({
      runs: 500,
      seed: 12,
      championAccuracy: 0.55,
      challengerAccuracy: 0.55,
      dailyOutcomes: daily,
      traffic: 0.5,
    });
    expect(r.activationRate).toBeLessThanOrEqual(0.01);
  });

  it('a challenger 10 % better in true accuracy (0.70 → 0.77) is activated in at least 80 %', () => {
    const r = simulateAbTests({
      runs: 500,
      seed: 13,
      championAccuracy: 0.7,
      challengerAccuracy: 0.77,
      dailyOutcomes: daily,
      traffic: 0.5,
    });
    expect(r.activationRate).toBeGreaterThanOrEqual(0.8);
  });

  it('users who differ (heavy-tailed ratings, own accuracies): at most 1 % false activations with the user as the unit', () => {
    const aa = {
      runs: 500,
      seed: 16,
      championAccuracy: 0.7,
      challengerAccuracy: 0.7,
      dailyOutcomes: 30,
      traffic: 0.5,
      users: { meanRatings: 10, accuracySd: 0.1 },
    };
    expect(simulateAbTests(aa).activationRate).toBeLessThanOrEqual(0.01);
    // Counting each rating as an independent coin, the same tests activate far more often.
    expect(simulateAbTests({ ...aa, unit: 'rating' }).activationRate).toBeGreaterThan(0.03);
  });

  it('1:1 traffic that arrives 55:45 is blocked by SRM and never activated', () => {
    const r = simulateAbTests({
      runs: 200,
      seed: 14,
      championAccuracy: 0.7,
      challengerAccuracy: 0.7,
      dailyOutcomes: daily,
      traffic: 0.5,
      arrivalShare: 0.45,
    });
    expect(r.outcomes.activate).toBe(0);
    expect(r.blockedAtSomeLook).toBe(r.runs);
  });
});
