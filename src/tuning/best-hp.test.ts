import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BestHp,
  bestHpPathFor,
  databaseIdentity,
  improvementOver,
  isNewBest,
  readBestHp,
  writeBestHp,
} from './best-hp.ts';

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
  it('is one per database: beside the SQLite file and named after it, named after the PostgreSQL database', () => {
    expect(bestHpPathFor('/data/x/movies.db')).toBe('/data/x/movies.db.best_hp.json');
    expect(bestHpPathFor('/data/x/api.db')).toBe('/data/x/api.db.best_hp.json');
    expect(bestHpPathFor('postgres://u:secret@h/db')).toBe(resolve('best_hp.h_5432_db.json'));
    expect(bestHpPathFor('postgres://u@h:6543/other')).toBe(resolve('best_hp.h_6543_other.json'));
    expect(databaseIdentity('postgres://u:secret@h/db')).toBe('postgres://u:***@h/db');
  });

  it("refuses another database's file, naming both, and one that names no database", () => {
    const path = join(dir, 'ml.db.best_hp.json');
    writeBestHp(path, best(0.7, { database: join(dir, 'ml.db') }));
    expect(readBestHp(path, join(dir, 'ml.db'))?.value).toBe(0.7);
    expect(() => readBestHp(path, join(dir, 'api.db'))).toThrow(
      `belongs to database ${join(dir, 'ml.db')}, not ${join(dir, 'api.db')}`,
    );
    const { database: _d, ...legacy } = best(0.7);
    writeFileSync(path, JSON.stringify(legacy));
    expect(() => readBestHp(path, join(dir, 'ml.db'))).toThrow(/names no database/);
  });

  it('states the improvement over the default configuration and the majority baseline', () => {
    expect(improvementOver(0.7094, 0.6747)).toEqual({
      points: expect.closeTo(3.47, 6),
      relative: expect.closeTo(0.0514, 4),
    });
    expect(improvementOver(0.7, null)).toBeNull();
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
