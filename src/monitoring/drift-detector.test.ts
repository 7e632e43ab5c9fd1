import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import {
  type DriftDetectorKind,
  type DriftDetectorSettings,
  detectDrift,
  driftDetectorKinds,
} from './drift-detector.ts';

const settings = (
  kind: DriftDetectorKind,
  over: Partial<DriftDetectorSettings> = {},
): DriftDetectorSettings => ({
  kind,
  threshold: 50,
  allowance: 0.05,
  adwinDelta: 0.002,
  minDrop: 0.1,
  minSamples: kind === 'cusum' ? 500 : 100,
  ...over,
});

/** `before` outcomes right with probability p, then `after` with probability q (seeded). */
function stream(seed: number, before: number, p: number, after: number, q: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(before + after);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < (i < before ? p : q) ? 1 : 0;
  return out;
}

describe('detectDrift', () => {
  it.each(driftDetectorKinds)(
    '%s: a fall from 85 % to 45 % is found within 500 outcomes, near where it began',
    (kind) => {
      for (let seed = 1; seed <= 10; seed++) {
        const hits = stream(seed, 6000, 0.85, 500, 0.45);
        const v = detectDrift(hits, settings(kind));
        expect(v.fired).toBe(true);
        expect(Math.abs(v.changeIndex! - 6000)).toBeLessThan(150);
        expect(v.alarmIndex!).toBeLessThan(6500);
        expect(v.before!).toBeGreaterThan(0.8);
        expect(v.after!).toBeLessThan(0.55);
        expect(v.samplesBefore + v.samplesAfter).toBe(hits.length);
      }
    },
  );

  it.each(driftDetectorKinds)('%s: a fall of 15 points is found within 1 500 outcomes', (kind) => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(detectDrift(stream(seed, 6000, 0.85, 1500, 0.7), settings(kind)).fired).toBe(true);
    }
  });

  it.each(driftDetectorKinds)(
    '%s: no alarm on 20 steady streams of 30 000 outcomes (false-alarm rate)',
    (kind) => {
      let alarms = 0;
      for (let seed = 1; seed <= 20; seed++)
        if (detectDrift(stream(100 + seed, 30_000, 0.85, 0, 0), settings(kind)).fired) alarms += 1;
      expect(alarms).toBe(0);
    },
  );

  it('a fall smaller than minDrop is not reported, though the statistic sees it', () => {
    const hits = stream(7, 6000, 0.85, 6000, 0.78);
    // With a 1-point allowance Page-Hinkley raises alarms on this 7-point fall; minDrop decides.
    expect(detectDrift(hits, settings('page-hinkley', { allowance: 0.01 })).fired).toBe(false);
    const v = detectDrift(hits, settings('page-hinkley', { allowance: 0.01, minDrop: 0.03 }));
    expect(v.fired).toBe(true);
    expect(v.before! - v.after!).toBeGreaterThan(0.03);
  });

  it('a rise is not a drift, and fewer outcomes than minSamples never fire', () => {
    for (const kind of driftDetectorKinds) {
      expect(detectDrift(stream(3, 5000, 0.5, 5000, 0.9), settings(kind)).fired).toBe(false);
    }
    expect(detectDrift(stream(4, 40, 1, 40, 0), settings('page-hinkley')).fired).toBe(false);
    expect(detectDrift(new Uint8Array(0), settings('adwin'))).toMatchObject({ fired: false, samples: 0 });
  });

  it('the same stream gives the same verdict', () => {
    const hits = stream(11, 4000, 0.8, 800, 0.5);
    expect(detectDrift(hits, settings('page-hinkley'))).toEqual(detectDrift(hits, settings('page-hinkley')));
  });
});
