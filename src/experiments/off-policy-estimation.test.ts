import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { RankerWorld, uniformUsers } from '../simulation/ranker-world.ts';
import { simulateOpeRun } from '../simulation/simulate-ope.ts';
import {
  estimateOffPolicy,
  fitRewardModel,
  type OpeEstimate,
  type OpeVisit,
  type RewardRow,
  screenVerdict,
} from './off-policy-estimation.ts';

describe('off-policy estimation', () => {
  // A small world where the exploration pool covers the whole catalogue, so every movie a target
  // could show has a known positive propensity and the true value is an exact expectation.
  const world = new RankerWorld({
    users: 150,
    movies: 60,
    seed: 3,
    noise: 1.2,
    n: 5,
    spare: 55,
    likeThreshold: 4,
    sharedError: 0.5,
    ...uniformUsers,
  });
  const champion = world.ranker(2, 1);
  const challenger = world.ranker(1, 2);
  const truth = world.truth(challenger);

  it('holds the true accuracy and hit rate within the SNIPS and doubly robust intervals in ≥ 90 % of 200 seeds', () => {
    const covered = { snipsAcc: 0, drAcc: 0, snipsHit: 0, drHit: 0 };
    const inside = (e: { low: number; high: number }, v: number) => (e.low <= v && v <= e.high ? 1 : 0);
    for (let seed = 1; seed <= 200; seed++) {
      const r = simulateOpeRun(world, champion, challenger, {
        visits: 400,
        policy: { epsilon: 0.3, pool: 55 },
        seed,
      });
      covered.snipsAcc += inside(r.challenger.accuracy.snips, truth.accuracy);
      covered.drAcc += inside(r.challenger.accuracy.dr, truth.accuracy);
      covered.snipsHit += inside(r.challenger.hitRate.snips, truth.hitRate);
      covered.drHit += inside(r.challenger.hitRate.dr, truth.hitRate);
      expect(r.challenger.effectiveSampleSize).toBeGreaterThan(0);
    }
    for (const [name, k] of Object.entries(covered)) expect(k / 200, name).toBeGreaterThanOrEqual(0.9);
  });

  it('tells a clearly worse challenger from a better one', () => {
    const worse = world.ranker(6, 4);
    const run = (target: typeof worse) =>
      simulateOpeRun(world, champion, target, { visits: 4000, policy: { epsilon: 0.3, pool: 55 }, seed: 11 });
    expect(world.truth(worse).accuracy).toBeLessThan(world.truth(champion).accuracy);
    const w = run(worse);
    expect(w.discarded).toBe(true);
    expect(run(challenger).discarded).toBe(false);
  });

  it("counts the reward model's own error where the log does not cover the target's movies", () => {
    // 40 logged movies, half of them rated and liked, all with the same predictions.
    const rows: RewardRow[] = Array.from({ length: 40 }, (_, i) => ({
      predictedRating: 4.5,
      loggingPrediction: 4.5,
      rated: i % 2 === 0,
      liked: i % 4 === 0,
    }));
    const model = fitRewardModel(rows);
    const visit = (logged: boolean): OpeVisit => ({
      target: [0, 1].map(() => ({
        predictedRating: 4.5,
        loggingPrediction: 4.5,
        logged: logged ? { inclusion: 1, rated: true, liked: true } : null,
      })),
    });
    const width = (e: { low: number; high: number }) => e.high - e.low;
    const unseen = estimateOffPolicy(
      Array.from({ length: 200 }, () => visit(false)),
      model,
      4,
    );
    // Only the reward model speaks: every visit gets the same prediction, yet the 40 rows behind
    // it leave it uncertain, and the interval says so.
    expect(unseen.accuracy.dr.value).toBeCloseTo(model.ratedLiked(4.5, 4.5) / model.rated(4.5, 4.5), 9);
    expect(width(unseen.accuracy.dr)).toBeGreaterThan(0.1);
    expect(width(unseen.hitRate.dr)).toBeGreaterThan(0.05);
    // Logged with certainty (w = 1): the residuals replace the model, which then adds nothing.
    const seen = estimateOffPolicy(
      Array.from({ length: 200 }, () => visit(true)),
      model,
      4,
    );
    expect(seen.accuracy.dr.value).toBeCloseTo(1, 9);
    expect(width(seen.hitRate.dr)).toBeLessThan(1e-9);
  });

  it("removes the bias of a reward model blind to the users' levels", () => {
    // 200 users, half liking much (logit level +1) and half little (−1). The logging policy showed
    // the low users movies of logging predictions 3.2 and 3.7 and the high users 3.7 and 4.2, so
    // the 3.2 bin, where every target movie lies, holds low users only. The target's movies were
    // never shown (only the reward model speaks); all are predicted liked, so accuracy is the
    // mean P(liked | rated) of the target's movies.
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const logitAt = (logging: number) => (logging < 3.5 ? -0.5 : logging < 4 ? 0 : 0.5);
    const level = (user: number) => (user % 2 === 0 ? 1 : -1);
    const rng = new Rng(17);
    const rows: RewardRow[] = [];
    for (let user = 0; user < 200; user++)
      for (let i = 0; i < 60; i++) {
        const loggingPrediction = (level(user) > 0 ? [3.7, 4.2] : [3.2, 3.7])[i % 2]!;
        const rated = rng.next() < 0.5;
        const liked = rng.next() < sigmoid(logitAt(loggingPrediction) + level(user));
        rows.push({ user, predictedRating: 4.5, loggingPrediction, rated, liked: rated && liked });
      }
    const visits: OpeVisit[] = Array.from({ length: 200 }, (_, user) => ({
      user,
      target: Array.from({ length: 5 }, () => ({
        predictedRating: 4.5,
        loggingPrediction: 3.2,
        logged: null,
      })),
    }));
    const truth = (sigmoid(-0.5 + 1) + sigmoid(-0.5 - 1)) / 2;
    const blind = estimateOffPolicy(visits, fitRewardModel(rows.map(({ user: _, ...r }) => r)), 4).accuracy
      .dr;
    const aware = estimateOffPolicy(visits, fitRewardModel(rows), 4).accuracy.dr;
    // Blind: the 3.2 bin's low users speak for everyone (about 0.18 against 0.40).
    expect(truth - blind.value).toBeGreaterThan(0.15);
    expect(Math.abs(aware.value - truth)).toBeLessThan(0.03);
    expect(aware.low).toBeLessThanOrEqual(truth);
    expect(aware.high).toBeGreaterThanOrEqual(truth);
  });

  it('discards only a challenger whose upper bound is below the champion, and only in discard mode', () => {
    const est = (value: number, half: number): OpeEstimate => {
      const e = { value, low: value - half, high: value + half };
      return {
        visits: 100,
        matched: 50,
        targetItems: 100,
        effectiveSampleSize: 40,
        accuracy: { snips: e, dr: e },
        hitRate: { snips: e, dr: e },
      };
    };
    expect(screenVerdict(est(0.6, 0.05), est(0.7, 0.01), 'discard').action).toBe('discard');
    expect(screenVerdict(est(0.6, 0.05), est(0.7, 0.01), 'report').action).toBe('test');
    expect(screenVerdict(est(0.6, 0.12), est(0.7, 0.01), 'discard').action).toBe('test');
    expect(screenVerdict(est(Number.NaN, 0.1), est(0.7, 0.01), 'discard').action).toBe('test');
  });
});
