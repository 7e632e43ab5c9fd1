import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { createModel } from '../models/model-registry.ts';
import { fitAndRegister } from '../registry/fit-and-register.ts';
import type { ModelVersion } from '../registry/model-versions.ts';
import { isBetter } from './objective.ts';
import { type RunTuningOptions, runTuning, type TuningResult } from './run-tuning.ts';
import type { Trial } from './tuning-storage.ts';

export interface TuningWorkflowOptions
  extends Omit<RunTuningOptions, 'method' | 'resume' | 'trials' | 'warmStartFrom' | 'onRunCreated'> {
  /** The first, exploring stage: random (default) or grid. */
  readonly first?: 'random' | 'grid';
  /** Trials of the first stage (default 50 random / 81 grid). */
  readonly firstTrials?: number;
  /** Trials of the Bayesian stage (default 20). */
  readonly bayesianTrials?: number;
  /** Refit the best on all ratings and register it as a model version (default true). */
  readonly register?: boolean;
  /** Make the registered version champion at once (default false: leave that to an A/B test). */
  readonly activate?: boolean;
  readonly onStage?: (stage: 'first' | 'bayesian' | 'refit', detail: string) => void;
  readonly onRunCreated?: (run: TuningResult['run']) => void;
}

export interface TuningWorkflowResult {
  readonly first: TuningResult;
  readonly bayesian: TuningResult;
  /** The better of the two stages' bests. */
  readonly best: { readonly runId: string; readonly trial: Trial } | null;
  /** The refit model's registered version, or null when not registered. */
  readonly version: ModelVersion | null;
  readonly refitSeconds: number | null;
}

/**
 * The tuning workflow: explore (random or grid), then a Bayesian run warm-started from
 * everything known on this model and data (the first stage included), then refit the overall
 * best on all ratings and register it with reason `tuned` and its run and trial ids.
 */
export async function runTuningWorkflow(
  db: Database,
  options: TuningWorkflowOptions = {},
): Promise<TuningWorkflowResult> {
  const firstMethod = options.first ?? 'random';
  if (firstMethod !== 'random' && firstMethod !== 'grid') {
    throw new InvalidInputError(`first must be random or grid, got ${JSON.stringify(firstMethod)}`);
  }
  const data: RatingsData = options.data ?? (await loadRatingsData(db));
  const movies: ReadonlyMap<number, MovieInfo> | undefined =
    options.movies ?? (options.data ? undefined : await loadMovies(db));
  const common = { ...options, data, ...(movies ? { movies } : {}) };

  options.onStage?.('first', firstMethod);
  const first = await runTuning(db, {
    ...common,
    method: firstMethod,
    ...(options.firstTrials !== undefined ? { trials: options.firstTrials } : {}),
  });
  options.onStage?.('bayesian', `warm-started from ${first.run.id}`);
  const bayesian = await runTuning(db, {
    ...common,
    method: 'bayesian',
    // The same folds as the first stage (its seed, derived from its run id when none was given).
    seed: first.run.config.seed,
    warmStart: true,
    warmStartFrom: first.run.id,
    // The default configuration was measured by the first stage on the same folds.
    evaluateDefault: false,
    ...(options.bayesianTrials !== undefined ? { trials: options.bayesianTrials } : {}),
  });
  const best = bestOfStages([first, bayesian]);
  if (!best || !(options.register ?? true))
    return { first, bayesian, best, version: null, refitSeconds: null };
  options.onStage?.('refit', `trial ${best.trial.number} of ${best.runId} on all ${data.size} ratings`);
  const refit = await refitBestTrial(db, {
    kind: first.run.model,
    best,
    data,
    movies,
    seed: first.run.config.seed,
    activate: options.activate ?? false,
  });
  return { first, bayesian, best, version: refit.version, refitSeconds: refit.fitSeconds };
}

/** The better of the stages' bests (ties broken by the lower RMSE). */
function bestOfStages(stages: readonly TuningResult[]): TuningWorkflowResult['best'] {
  let best: TuningWorkflowResult['best'] = null;
  for (const stage of stages) {
    const t = stage.best;
    if (!t || t.value === null) continue;
    const current =
      best?.trial.value == null ? null : { value: best.trial.value, rmse: best.trial.metrics?.rmse ?? null };
    if (isBetter({ value: t.value, rmse: t.metrics?.rmse ?? null }, current, stage.run.direction))
      best = { runId: stage.run.id, trial: t };
  }
  return best;
}

/**
 * Refits a run's best trial on all `data` and registers it as a version with reason `tuned`, its
 * run and trial ids and the trial's cross-validated metrics: how every tuning workflow ends.
 */
export async function refitBestTrial(
  db: Database,
  input: {
    readonly kind: string;
    readonly best: { readonly runId: string; readonly trial: Trial };
    readonly data: RatingsData;
    readonly movies: ReadonlyMap<number, MovieInfo> | undefined;
    readonly seed: number;
    readonly activate: boolean;
  },
): Promise<{ version: ModelVersion; fitSeconds: number }> {
  const { best } = input;
  const m = best.trial.metrics;
  return fitAndRegister(db, {
    model: createModel(input.kind, best.trial.params),
    data: input.data,
    ...(input.movies ? { movies: input.movies } : {}),
    seed: input.seed,
    reason: 'tuned',
    tuningRunId: best.runId,
    tuningTrialNumber: best.trial.number,
    metrics: m
      ? { accuracy: m.accuracy, rmse: m.rmse, mae: m.mae, baselineAccuracy: m.baselineAccuracy }
      : {},
    activate: input.activate,
  });
}
