import { InvalidInputError } from '../errors.ts';
import type { CrossValidationResult } from '../evaluation/cross-validate.ts';
import type { Direction } from './sampler.ts';

/** The evaluator's metrics a run may optimise (`--objective`). */
export type ObjectiveMetric =
  | 'accuracy'
  | 'rmse'
  | 'mae'
  | 'precision'
  | 'recall'
  | 'ndcg'
  | 'map'
  | 'hitRate'
  | 'coverage';

export const objectiveMetrics: readonly ObjectiveMetric[] = [
  'accuracy',
  'rmse',
  'mae',
  'precision',
  'recall',
  'ndcg',
  'map',
  'hitRate',
  'coverage',
];

/** Metrics that need the top-k ranking work of the evaluator (slower per trial). */
export function needsRanking(metric: ObjectiveMetric): boolean {
  return !['accuracy', 'rmse', 'mae'].includes(metric);
}

export function requireObjective(value: string): ObjectiveMetric {
  if (!(objectiveMetrics as readonly string[]).includes(value)) {
    throw new InvalidInputError(
      `objective must be one of ${objectiveMetrics.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as ObjectiveMetric;
}

/** Errors are minimised, everything else maximised. */
export function objectiveDirection(metric: ObjectiveMetric): Direction {
  return metric === 'rmse' || metric === 'mae' ? 'minimize' : 'maximize';
}

/**
 * The metrics a trial stores: the evaluator's own figures (plain numbers; null where it did not
 * compute them), picked from its result type so the two cannot drift apart, plus the fold count.
 */
export type TrialMetrics = Pick<
  CrossValidationResult,
  | 'accuracy'
  | 'rmse'
  | 'mae'
  | 'baselineAccuracy'
  | 'precision'
  | 'recall'
  | 'ndcg'
  | 'map'
  | 'hitRate'
  | 'coverage'
  | 'fitSeconds'
  | 'predictSeconds'
> & { readonly folds: number };

export function trialMetrics(result: CrossValidationResult): TrialMetrics {
  return {
    accuracy: result.accuracy,
    rmse: result.rmse,
    mae: result.mae,
    baselineAccuracy: result.baselineAccuracy,
    precision: result.precision,
    recall: result.recall,
    ndcg: result.ndcg,
    map: result.map,
    hitRate: result.hitRate,
    coverage: result.coverage,
    fitSeconds: result.fitSeconds,
    predictSeconds: result.predictSeconds,
    folds: result.folds.length,
  };
}

export function metricValue(metrics: TrialMetrics, metric: ObjectiveMetric): number {
  const v = metrics[metric];
  return v === null || !Number.isFinite(v) ? Number.NaN : v;
}

/**
 * Is `a` better than `b`? By the objective in its direction; equal objectives (within 1e-12) are
 * broken by the lower RMSE, as liked-accuracy ties are common on coarse rating scales.
 */
export function isBetter(
  a: { value: number; rmse: number | null },
  b: { value: number; rmse: number | null } | null,
  direction: Direction,
): boolean {
  if (!Number.isFinite(a.value)) return false;
  if (!b || !Number.isFinite(b.value)) return true;
  const d = direction === 'maximize' ? a.value - b.value : b.value - a.value;
  if (Math.abs(d) > 1e-12) return d > 0;
  return (a.rmse ?? Number.POSITIVE_INFINITY) < (b.rmse ?? Number.POSITIVE_INFINITY);
}
