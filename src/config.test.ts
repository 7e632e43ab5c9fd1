import { expect, it } from 'vitest';
import { loadConfig } from './config.ts';

it('has the seed defaults', () => {
  const c = loadConfig({ env: {}, file: '/nonexistent.json' });
  expect([c.trainingWindowDays, c.accuracyThreshold, c.minSamplesPerMovie, c.autoActivateThreshold]).toEqual([
    30, 0.5, 5, 0.05,
  ]);
});

it('reads the environment and names a bad value', () => {
  expect(loadConfig({ env: { MOVIENIGHT_ACCURACY_THRESHOLD: '0.6' }, file: '/x' }).accuracyThreshold).toBe(
    0.6,
  );
  expect(() => loadConfig({ env: { MOVIENIGHT_ACCURACY_THRESHOLD: '7' }, file: '/x' })).toThrow(
    /accuracyThreshold.*MOVIENIGHT_ACCURACY_THRESHOLD/,
  );
});
