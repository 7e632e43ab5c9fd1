import { describe, expect, it } from 'vitest';
import { type ArmCounts, analyseAbTest, defaultAbPolicy } from './ab-analysis.ts';
import { assignArm, assignmentBucket } from './assignment.ts';
import { simulateAbTests } from './simulate-ab-tests.ts';
import {
  chiSquare1Upper,
  mixtureSequentialTest,
  normalCdf,
  proportion,
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

describe('verdicts', () => {
  const arm = (n: number, hits: number, users = n): ArmCounts => ({
    users,
    served: users * 10,
    n,
    hits,
    liked: Math.round(n / 2),
    sumSquares: n * 0.8,
    sumFourth: n * 2,
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
