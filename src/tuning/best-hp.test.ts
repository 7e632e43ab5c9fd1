import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BestHp, bestHpPathFor, isNewBest, readBestHp, writeBestHp } from './best-hp.ts';

const dir = mkdtempSync(join(tmpdir(), 'movienight-besthp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const metrics = (accuracy: number, rmse: number) => ({
  accuracy,
  rmse,
  mae: 0.7,
  baselineAccuracy: 0.6,
  precision: null,
  recall: null,
  ndcg: null,
  map: null,
  hitRate: null,
  coverage: null,
  fitSeconds: 1,
  predictSeconds: 0.1,
  folds: 3,
});

const best = (value: number, over: Partial<BestHp> = {}): BestHp => ({
  database: '/data/ml.db',
  model: 'svd',
  params: { lr_all: 0.01 },
  objective: 'accuracy',
  direction: 'maximize',
  value,
  metrics: metrics(value, 0.9),
  baseline: { majorityAccuracy: 0.6, defaultParams: null, defaultMetrics: null },
  improvement: {
    overDefault: null,
    overMajority: { points: 100 * (value - 0.6), relative: (value - 0.6) / 0.6 },
  },
  method: 'random',
  runId: 'random_20261126_000000_000',
  trialNumber: 3,
  dataFingerprint: 'abc',
  folds: 3,
  createdAt: '2026-11-26T00:00:00.000Z',
  ...over,
});

describe('best_hp.json', () => {
  it('goes beside the SQLite file, in the cwd for PostgreSQL', () => {
    expect(bestHpPathFor('/data/x/movies.db')).toBe('/data/x/best_hp.json');
    expect(bestHpPathFor('postgres://u@h/db')).toBe(resolve('best_hp.json'));
  });

  it('round-trips, leaves no temporary file, and is absent → undefined', () => {
    const path = join(dir, 'best_hp.json');
    expect(readBestHp(path)).toBeUndefined();
    writeBestHp(path, best(0.7));
    writeBestHp(path, best(0.71));
    expect(readBestHp(path)).toEqual(best(0.71));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses a damaged file naming the field', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...best(0.7), value: 'high' }));
    expect(() => readBestHp(path)).toThrow(/bad\.json: value/);
    writeFileSync(path, '{');
    expect(() => readBestHp(path)).toThrow(/not valid JSON/);
  });

  it('a new best: better value, equal value with lower rmse, or another model/data', () => {
    expect(isNewBest(best(0.7), undefined)).toBe(true);
    expect(isNewBest(best(0.71), best(0.7))).toBe(true);
    expect(isNewBest(best(0.69), best(0.7))).toBe(false);
    expect(isNewBest({ ...best(0.7), metrics: metrics(0.7, 0.8) }, best(0.7))).toBe(true);
    expect(isNewBest(best(0.6, { dataFingerprint: 'other' }), best(0.7))).toBe(true);
    expect(
      isNewBest(
        best(0.8, { direction: 'minimize', objective: 'rmse' }),
        best(0.7, { direction: 'minimize', objective: 'rmse' }),
      ),
    ).toBe(false);
  });
});
