import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { SqlTuningStorage } from '../tuning/sql-tuning-storage.ts';
import { adjustedCorrelationRatio, correlationRatio, rankBins, tuningReport } from './tuning-report.ts';
import { learningCurves, renderTuningHtml, renderTuningTerminal } from './tuning-view.ts';

const now = Date.UTC(2026, 0, 1);

describe('tuning report [sqlite]', () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await sqliteKind.create();
  });
  afterEach(async () => t.drop());

  it('says there is no run yet, and names an unknown run id', async () => {
    const r = await tuningReport(t.db, { now });
    expect(r.run).toBeNull();
    expect(renderTuningTerminal(r, { tty: false })).toContain('No tuning run yet');
    expect(renderTuningHtml(r)).toContain('No tuning run yet');
    await expect(tuningReport(t.db, { runId: 'random_x' })).rejects.toThrow(
      /tuning run "random_x" does not exist/,
    );
  });

  it('history, best-so-far and importance from hand-built trials: the solver explains everything', async () => {
    const storage = new SqlTuningStorage(t.db);
    const older = await storage.createRun({
      method: 'grid',
      model: 'svd',
      objective: 'rmse',
      direction: 'minimize',
      dataFingerprint: 'fp',
      trialsPlanned: 1,
      config: { seed: 1, folds: 3, space: {}, pruner: null },
      owner: 'h:1:a',
      now: now - 1000,
    });
    const run = await storage.createRun({
      method: 'random',
      model: 'svd',
      objective: 'rmse',
      direction: 'minimize',
      dataFingerprint: 'fp',
      trialsPlanned: 5,
      config: { seed: 1, folds: 3, space: {}, pruner: null },
      owner: 'h:1:a',
      now,
    });
    const trials: Array<[Record<string, number | string>, 'complete' | 'pruned' | 'failed', number]> = [
      [{ factors: 10, lr: 0.01, solver: 'a' }, 'complete', 0.9],
      [{ factors: 20, lr: 0.01, solver: 'a' }, 'complete', 0.9],
      [{ factors: 10, lr: 0.01, solver: 'b' }, 'complete', 0.8],
      [{ factors: 20, lr: 0.01, solver: 'b' }, 'complete', 0.8],
      [{ factors: 10, lr: 0.01, solver: 'b' }, 'pruned', 0.95],
      [{ factors: 30, lr: 0.01, solver: 'a' }, 'failed', 0],
    ];
    for (const [params, state, value] of trials) {
      const trial = await storage.startTrial(run.id, params, now);
      await storage.finishTrial(
        run.id,
        trial.number,
        state === 'failed'
          ? { state, error: 'boom' }
          : { state, value, metrics: null, intermediateValues: [{ step: 1, value }], durationMs: 1500 },
        now + 1,
      );
    }
    const r = await tuningReport(t.db, { now });
    expect(r.run).toMatchObject({ id: run.id, bestValue: 0.8, bestTrialNumber: 2, status: 'running' });
    expect(r.otherRuns.map((o) => o.id)).toEqual([older.id]);
    expect(r.states).toEqual({ running: 0, complete: 4, pruned: 1, failed: 1 });
    expect(r.trials.map((x) => x.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.bestSoFar).toEqual([
      { number: 0, value: 0.9 },
      { number: 1, value: 0.9 },
      { number: 2, value: 0.8 },
      { number: 3, value: 0.8 },
    ]);
    // lr never varied: it cannot explain anything and is left out.
    expect(r.params).toEqual(['factors', 'solver']);
    expect(r.importance).toEqual([
      { param: 'solver', eta2: 1, epsilon2: 1, importance: 1, kind: 'categorical' },
      { param: 'factors', eta2: 0, epsilon2: 0, importance: 0, kind: 'numeric' },
    ]);
    const picked = await tuningReport(t.db, { runId: older.id, now });
    expect(picked.run?.id).toBe(older.id);
    expect(picked.trials).toEqual([]);

    expect(r.trials[4]!.intermediateValues).toEqual([{ step: 1, value: 0.95 }]);
    // One epoch each: no curve to draw, and the chart says so.
    expect(learningCurves(r)).toContain('mn-no-data');
    const text = renderTuningTerminal(r, { tty: false });
    expect(text).toContain('Best: trial 2, rmse 0.8000');
    const html = renderTuningHtml(r);
    expect(html).toContain('Optimisation history');
    expect(html).toContain('factors against rmse');
    expect(html).toContain('solver against rmse');
  });
});

describe('importance helpers', () => {
  it('correlation ratio: 1 when groups separate the values, 0 when they do not', () => {
    expect(correlationRatio(['a', 'a', 'b', 'b'], [1, 1, 3, 3])).toBe(1);
    expect(correlationRatio(['a', 'b', 'a', 'b'], [1, 1, 3, 3])).toBe(0);
    // Between-group SS = 2·(1−2.5)² + 2·(4−2.5)² = 9; total = (0.25+2.25+0.25+... ) computed by hand:
    // values 0,2,3,5 mean 2.5 → total 6.25+0.25+0.25+6.25 = 13; groups {0,2} {3,5} means 1,4 → 9/13.
    expect(correlationRatio([0, 0, 1, 1], [0, 2, 3, 5])).toBeCloseTo(9 / 13, 12);
    expect(correlationRatio([], [])).toBe(0);
  });
  it('ε² removes the credit groups get by chance: one trial per group explains nothing', () => {
    // η² is 1 whenever every trial is its own group; ε² is 0 then.
    expect(correlationRatio([1, 2, 3, 4], [0.9, 0.8, 0.95, 0.7])).toBe(1);
    expect(adjustedCorrelationRatio([1, 2, 3, 4], [0.9, 0.8, 0.95, 0.7])).toBe(0);
    // Groups {0,2} {3,5}: SSb 9, SSt 13, MSw (13−9)/(4−2) = 2 → ε² = (9 − 2) / 13.
    expect(adjustedCorrelationRatio([0, 0, 1, 1], [0, 2, 3, 5])).toBeCloseTo(7 / 13, 12);
    expect(adjustedCorrelationRatio(['a', 'b', 'a', 'b'], [1, 1, 3, 3])).toBe(0);
  });
  it('rank bins keep ties together and use at most the bins asked for', () => {
    expect(rankBins([3, 1, 2], 5)).toEqual([2, 0, 1]);
    const bins = rankBins([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5);
    expect(new Set(bins).size).toBe(5);
    expect(bins).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const ties = rankBins([1, 1, 1, 1, 2, 3, 4, 5, 6, 7], 5);
    expect(ties.slice(0, 4)).toEqual([0, 0, 0, 0]);
  });
});
