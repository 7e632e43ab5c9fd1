import { expect, it } from 'vitest';
import { postgresUrl } from './helpers/databases.ts';
import { runScalePipeline, type StepResult } from './helpers/scale-pipeline.ts';

/**
 * The scale bench's pipeline, small, as a test of correctness only (no timing): every step of
 * generate → import (SQLite and PostgreSQL) → train → evaluate → tune (successive halving) →
 * recommend → serve (a new user's picks over HTTP) → reports must succeed and agree on what it did. 100,000 ratings by default
 * (MOVIENIGHT_SCALE_TEST_RATINGS to change): at 1 M the twelve processes take minutes on a busy
 * 2-core machine, far over this suite's budget.
 */
const ratings = Number(process.env.MOVIENIGHT_SCALE_TEST_RATINGS || 100_000);

const json = (steps: readonly StepResult[], name: string): Record<string, unknown> => {
  const step = steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name}`);
  return JSON.parse(step.stdout) as Record<string, unknown>;
};

it(
  'runs the whole scale pipeline and every step reports what it was asked to do',
  async () => {
    const steps = await runScalePipeline({
      ratings,
      ...(postgresUrl ? { pgUrl: postgresUrl } : {}),
      svd: { n_factors: 20, n_epochs: 8 },
      folds: 2,
      tuneTrials: 4,
      tuneFolds: 2,
    });
    for (const name of postgresUrl ? ['import sqlite', 'import postgres'] : ['import sqlite']) {
      const imported = json(steps, name) as { ratings: { inserted: number; skipped: number } };
      expect(imported.ratings).toMatchObject({ inserted: ratings, skipped: 0 });
    }
    const evaluation = json(steps, 'evaluate') as { rmse: number; ndcg: number | null };
    expect(evaluation.rmse).toBeGreaterThan(0.3);
    expect(evaluation.rmse).toBeLessThan(1.3);
    expect(evaluation.ndcg).not.toBeNull();
    const tuned = json(steps, 'tune bayesian halving') as {
      rungs: { run: { status: string; config: { fidelity: { share: number }; costAware?: boolean } } }[];
      version: { version: number } | null;
    };
    expect(tuned.rungs.map((r) => r.run.config.fidelity.share)).toEqual([1 / 3, 1]);
    expect(tuned.rungs.every((r) => r.run.status === 'complete')).toBe(true);
    expect(tuned.rungs[0]?.run.config.costAware).toBe(true);
    const chosen = steps.find((s) => s.name === 'tune (best)')?.extra;
    expect(chosen?.bestPercent).toBeGreaterThan(50);
    expect(chosen?.bestPercent).toBeLessThanOrEqual(100);
    // v1 from train, v2 from train --no-holdout, v3 the tuned refit.
    expect(tuned.version?.version).toBe(3);
    const recommended = json(steps, 'recommend (cli, cold)') as {
      items?: unknown[];
      recommendations?: unknown[];
    };
    expect((recommended.items ?? recommended.recommendations ?? []).length).toBe(10);
    const warm = json(steps, 'recommend (warm, in process)') as { warmP50Ms: number };
    expect(Number.isFinite(warm.warmP50Ms)).toBe(true);
    const served = json(steps, 'serve (cold start, new user)') as {
      listeningSeconds: number;
      firstMs: number;
    };
    expect(served.listeningSeconds).toBeGreaterThan(0);
    expect(served.firstMs).toBeGreaterThan(0);
    for (const report of ['report unexpected', 'report impact', 'report status', 'report tuning']) {
      expect(Object.keys(json(steps, report)).length).toBeGreaterThan(0);
    }
    expect(steps.every((s) => s.peakMiB > 0)).toBe(true);
  },
  15 * 60_000,
);
