import { likeThreshold } from '../data/rating-scale.ts';
import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import { type DataSplit, kFoldSplits } from '../data/splits.ts';
import {
  type CrossValidateOptions,
  crossValidate,
  crossValidateFold,
  type FoldRun,
  summarizeFolds,
} from '../evaluation/cross-validate.ts';
import { likedAccuracy, mae, rmse } from '../metrics/rating-metrics.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { type IntermediateValue, MedianPruner } from './median-pruner.ts';
import {
  metricValue,
  needsRanking,
  type ObjectiveMetric,
  objectiveDirection,
  requireObjective,
  trialMetrics,
} from './objective.ts';
import type { TuningInput } from './session-setup.ts';
import { runFidelity, type TrialOutcome, type TuningRun } from './tuning-storage.ts';

/** Everything that is the same for every trial of a run (sent once to each worker). */
export interface TrialSetup {
  readonly kind: string;
  readonly objective: ObjectiveMetric;
  readonly data: RatingsData;
  /** The run's folds: the same for every trial. */
  readonly splits: readonly DataSplit[];
  /** Seeds each fold's model fit (the same for every trial, so configurations are compared fairly). */
  readonly seed: number;
  readonly movies?: readonly MovieInfo[];
  /**
   * Share of each configuration's epochs (`n_epochs`) its folds fit, in (0, 1] (default 1): a
   * low-fidelity rung of successive halving fits a fraction of them.
   */
  readonly epochShare?: number;
}

/** One trial to run. */
export interface TrialTask {
  readonly number: number;
  readonly params: ModelParams;
  /** Pruning: the completed trials' curves when this trial started, or null for no pruning. */
  readonly prune: {
    readonly startupTrials: number;
    readonly warmupSteps: number;
    readonly completed: readonly (readonly IntermediateValue[])[];
  } | null;
}

/** How an evaluated trial ended: the storage's outcome with every field filled, and its number. */
export type TrialResult = { readonly number: number } & (
  | Extract<TrialOutcome, { state: 'complete' | 'pruned' }>
  | Required<Extract<TrialOutcome, { state: 'failed' }>>
);

/**
 * The metric reported per epoch: the objective itself when it is a rating metric, else RMSE (a
 * ranking metric per epoch would cost a top-k per user per epoch). Returns its direction too.
 */
export function intermediateMetric(objective: ObjectiveMetric): 'accuracy' | 'rmse' | 'mae' {
  return objective === 'accuracy' || objective === 'mae' ? objective : 'rmse';
}

/**
 * Runs one trial: k-fold cross-validation of `params` on the run's folds. With pruning, the
 * validation score of the first fold is reported after each epoch (step = epoch) and the median
 * rule may stop the trial there; a stopped trial is `pruned` with its last score as value. It is
 * long because the epoch hook, the pruning decision and the three outcomes share the curve so far.
 * It is long because it runs one trial's folds in order, reporting each fold to the pruner between them, and records every outcome (complete, pruned, failed).
 */
export async function evaluateTrial(setup: TrialSetup, task: TrialTask): Promise<TrialResult> {
  const t0 = performance.now();
  const intermediate: IntermediateValue[] = [];
  const stepMetric = intermediateMetric(setup.objective);
  const stepDirection = objectiveDirection(stepMetric);
  const pruner = task.prune ? new MedianPruner(task.prune) : null;
  let pruned = false;
  try {
    const result = await crossValidate({
      ...crossValidateOptions(setup, task),
      ...(task.prune
        ? {
            onEpoch: (fold, epoch, model, validation) => {
              if (fold !== 0) return true;
              const predicted = model.predictMany(validation.users, validation.movies);
              const value =
                stepMetric === 'rmse'
                  ? rmse(validation.ratings, predicted)
                  : stepMetric === 'mae'
                    ? mae(validation.ratings, predicted)
                    : likedAccuracy(validation.ratings, predicted, likeThreshold(validation.scale));
              intermediate.push({ step: epoch, value });
              if (pruner?.shouldPrune(task.prune!.completed, epoch, value, stepDirection)) {
                pruned = true;
                return false;
              }
              return true;
            },
          }
        : {}),
    });
    const durationMs = performance.now() - t0;
    if (pruned || result.stopped) {
      const last = intermediate[intermediate.length - 1];
      return {
        number: task.number,
        state: 'pruned',
        value: last?.value ?? Number.NaN,
        metrics: null,
        intermediateValues: intermediate,
        durationMs,
      };
    }
    const metrics = trialMetrics(result);
    return {
      number: task.number,
      state: 'complete',
      value: metricValue(metrics, setup.objective),
      metrics,
      intermediateValues: intermediate,
      durationMs,
    };
  } catch (error) {
    return {
      number: task.number,
      state: 'failed',
      error: error instanceof Error ? error.message : String(error),
      intermediateValues: intermediate,
      durationMs: performance.now() - t0,
    };
  }
}

/** The catalogue of a setup by movie id, made once per setup (a worker runs many folds of it). */
const moviesBySetup = new WeakMap<TrialSetup, ReadonlyMap<number, MovieInfo>>();

function moviesOf(setup: TrialSetup): ReadonlyMap<number, MovieInfo> | undefined {
  if (!setup.movies) return undefined;
  let movies = moviesBySetup.get(setup);
  if (!movies) {
    movies = new Map(setup.movies.map((m) => [m.id, m]));
    moviesBySetup.set(setup, movies);
  }
  return movies;
}

/** The cross-validation a trial is: its configuration on the run's folds. */
function crossValidateOptions(setup: TrialSetup, task: TrialTask): CrossValidateOptions {
  const movies = moviesOf(setup);
  return {
    kind: setup.kind,
    params: atEpochShare(task.params, setup.epochShare ?? 1),
    data: setup.data,
    split: setup.splits,
    seed: setup.seed,
    ranking: needsRanking(setup.objective),
    ...(movies ? { movies } : {}),
  };
}

/** One fold of a trial, measured alone: its run, or why it failed; and how long it took. */
export type TrialFoldOutcome =
  | { readonly ok: true; readonly run: FoldRun; readonly durationMs: number }
  | { readonly ok: false; readonly error: string; readonly durationMs: number };

/**
 * Fold `fold` of a trial without pruning (which needs the folds in order). A trial's folds can
 * then run on different threads at once, and `trialOfFolds` gives the result `evaluateTrial` would.
 */
export function evaluateTrialFold(setup: TrialSetup, task: TrialTask, fold: number): TrialFoldOutcome {
  const t0 = performance.now();
  try {
    if (task.prune) throw new Error(`trial ${task.number} prunes: its folds must run in order`);
    const run = crossValidateFold(crossValidateOptions(setup, task), fold);
    return { ok: true, run, durationMs: performance.now() - t0 };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, durationMs: performance.now() - t0 };
  }
}

/**
 * A trial's result from its folds' outcomes (in fold order): complete with the folds' means, or
 * failed with the first failure. `durationMs` is the folds' time added up, what running them one
 * after another takes, so that trials compare alike however their folds were spread.
 */
export function trialOfFolds(
  setup: TrialSetup,
  task: TrialTask,
  outcomes: readonly TrialFoldOutcome[],
): TrialResult {
  const durationMs = outcomes.reduce((s, o) => s + o.durationMs, 0);
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) {
    return { number: task.number, state: 'failed', error: failed.error, intermediateValues: [], durationMs };
  }
  const runs = outcomes.map((o) => (o.ok ? o.run : null)).filter((r): r is FoldRun => r !== null);
  try {
    const metrics = trialMetrics(summarizeFolds(crossValidateOptions(setup, task), runs));
    const value = metricValue(metrics, setup.objective);
    return { number: task.number, state: 'complete', value, metrics, intermediateValues: [], durationMs };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { number: task.number, state: 'failed', error: message, intermediateValues: [], durationMs };
  }
}

/** What every trial of `run` shares: the data, the run's folds and seed, the catalogue. */
export function trialSetupOf(run: TuningRun, input: TuningInput): TrialSetup {
  return {
    kind: run.model,
    objective: requireObjective(run.objective),
    data: input.data,
    splits: kFoldSplits(input.data, { folds: run.config.folds, seed: run.config.seed }),
    seed: run.config.seed,
    ...(input.movies ? { movies: [...input.movies.values()] } : {}),
    epochShare: runFidelity(run.config).epochShare,
  };
}

/**
 * A configuration at a share of its epochs: `n_epochs` scaled and rounded, at least 1. Models
 * without `n_epochs` (the neighbourhood ones, which make one pass) are fitted as they are.
 */
export function atEpochShare(params: ModelParams, share: number): ModelParams {
  const epochs = params.n_epochs;
  if (share >= 1 || typeof epochs !== 'number') return params;
  return { ...params, n_epochs: Math.max(1, Math.round(epochs * share)) };
}
