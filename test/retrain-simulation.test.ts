import { describe, expect, it } from 'vitest';
import { type SimulationOptions, simulate } from '../src/simulation/simulate.ts';

/**
 * Half the default world (500 users, 750 movies, so half the history), same pace per user and per
 * movie, so the same story in a few seconds a seed. Several seeds, the first three rather than a
 * chosen one: the bar is a property of the loop, not of one world.
 */
const half: Partial<SimulationOptions> = { users: 500, movies: 750, days: 30 };
const seeds = [1, 2, 3];
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('simulate (500 users, 750 movies, 30 days, drift on day 12)', () => {
  it.each(seeds)(
    'seed %i: the drift rule triggers within 2 days, retrains follow until accuracy is back within 2 points',
    async (seed) => {
      const r = await simulate({ ...half, seed });
      const drift = r.options.driftDay;
      const s = r.summary;
      const byDay = r.days.map((d) => d.accuracy ?? Number.NaN);
      // Before the drift the first model is good, and stays about as good: the level the recovery
      // is measured against is a plateau, not a point on a slide.
      expect(s.preDriftAccuracy).toBeGreaterThan(0.7);
      expect(mean(byDay.slice(0, 5)) - s.preDriftAccuracy!).toBeLessThan(0.08);
      // The day tastes turn it is not good any more.
      expect(mean(byDay.slice(drift, drift + 2))).toBeLessThan(s.preDriftAccuracy! - 0.2);
      // The first trigger is the drift rule's, within 2 days; the ones after it are recovery ones.
      const events = r.days.flatMap((d) => d.events.map((e) => ({ day: d.day, e })));
      const triggers = events.filter((x) => /^retrain #\d+ triggered[^:]*: /.test(x.e));
      expect(triggers[0]?.e).toMatch(/triggered: drift: accuracy \d+\.\d % → \d+\.\d % since 2026-01-1\d /);
      expect(triggers[0]!.day).toBeGreaterThanOrEqual(drift);
      expect(triggers[0]!.day).toBeLessThanOrEqual(drift + 2);
      expect(s.triggersByRule.drift).toBe(1);
      expect(s.triggersByRule.threshold).toBe(0);
      expect(s.triggers).toBe(1 + s.triggersByRule.recovery);
      // Every activation after the first model is an A/B winner that is better in truth.
      expect(s.activations).toBeGreaterThanOrEqual(2);
      expect(s.worseActivations).toBe(0);
      // The last 5 days, which the end level is measured on, come after the first activation…
      expect(s.firstActivationDay!).toBeLessThan(r.options.days - 5);
      // …and by then accuracy is back within 2 points of its level before the drift.
      expect(s.recoveryGapPoints).toBeGreaterThanOrEqual(-2);
    },
    120_000,
  );
});

/** A world small enough for a few seconds: 300 users, 450 movies, 8 days, tastes turn on day 4. */
const tiny: Partial<SimulationOptions> = { users: 300, movies: 450, days: 8, driftDay: 4, seed: 5 };

describe('simulate (300 users, 450 movies, 8 days)', () => {
  it('the drift rule triggers within 2 days of a change of taste; the same world without one triggers nothing', async () => {
    const drifting = await simulate(tiny);
    const day = drifting.summary.firstTriggerDay;
    expect(day).not.toBeNull();
    expect(day!).toBeGreaterThanOrEqual(4);
    expect(day!).toBeLessThanOrEqual(6);
    expect(drifting.summary.triggersByRule.drift).toBe(1);
    expect(drifting.days[day!]!.events.some((e) => /triggered: drift: /.test(e))).toBe(true);
    const steady = await simulate({ ...tiny, driftStrength: 0 });
    expect(steady.days.every((d) => !d.drifted)).toBe(true);
    expect(steady.summary.triggers).toBe(0);
    expect(steady.summary.firstTriggerDay).toBeNull();
  }, 120_000);
});
