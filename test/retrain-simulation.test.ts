import { describe, expect, it } from 'vitest';
import { simulate } from '../src/simulation/simulate.ts';

describe('simulate (the default configuration: 150 users, 600 movies, 26 days, about 10 s)', () => {
  it('accuracy falls after the drift, a retrain is triggered, an A/B test activates the new model, accuracy back within 2 points', async () => {
    const r = await simulate();
    const drift = r.options.driftDay;
    const s = r.summary;
    const byDay = r.days.map((d) => d.accuracy ?? Number.NaN);
    // Before the drift the first model is good; the day tastes turn, it is not.
    expect(s.preDriftAccuracy).toBeGreaterThan(0.7);
    const firstDaysAfter = (byDay[drift]! + byDay[drift + 1]! + byDay[drift + 2]!) / 3;
    expect(firstDaysAfter).toBeLessThan(s.preDriftAccuracy! - 0.2);
    // Exactly one automatic trigger (the cooldown and the running A/B test hold further ones back).
    expect(s.triggers).toBe(1);
    const events = r.days.flatMap((d) => d.events.map((e) => ({ day: d.day, e })));
    const triggered = events.find((x) => /retrain #\d+ triggered/.test(x.e));
    const started = events.find((x) => /A\/B test #\d+ started/.test(x.e));
    const activated = events.find((x) => /A\/B test #\d+ activated/.test(x.e));
    expect(triggered && triggered.day > drift).toBe(true);
    expect(started?.day).toBe(triggered?.day);
    expect(activated && activated.day > started!.day).toBe(true);
    expect(s.abTests).toBe(1);
    // The first model and the A/B winner.
    expect(s.activations).toBe(2);
    expect(r.days.at(-1)?.champion).toBe(2);
    // After the activation accuracy climbs far back above the seed's 50 % line.
    const afterActivation = r.days.filter((d) => d.day > activated!.day).map((d) => d.accuracy ?? 0);
    expect(Math.max(...afterActivation)).toBeGreaterThan(s.lowestAfterDrift! + 0.25);
    // …and by the end it is back within 2 points of its level before the drift.
    expect(s.recoveryGapPoints).toBeGreaterThanOrEqual(-2);
  });
});
