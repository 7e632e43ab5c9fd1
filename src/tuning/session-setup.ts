import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { defaultCenter, defaultTrialParams } from './default-spaces.ts';
import { requireObjective, type TrialMetrics } from './objective.ts';
import { createQueueTrialPool } from './queue-trial-pool.ts';
import type { RunTuningOptions } from './run-tuning.ts';
import type { PriorTrial } from './sampler.ts';
import { createSampler, type TuningMethod } from './sampler-registry.ts';
import { paramsKey, type SearchSpace } from './search-space.ts';
import { trialSetupOf } from './trial-evaluation.ts';
import { createTrialPool } from './trial-pool.ts';
import { TuningSession } from './tuning-session.ts';
import {
  type MeasuredTrial,
  runFidelity,
  sameShare,
  type Trial,
  type TuningRun,
  type TuningStorage,
} from './tuning-storage.ts';

/** The ratings tuned on, the catalogue, and their fingerprint. */
export interface TuningInput {
  readonly data: RatingsData;
  readonly movies: ReadonlyMap<number, MovieInfo> | undefined;
  readonly fingerprint: string;
}

/** A run ready for its trial loop. */
export interface OpenedRun {
  readonly run: TuningRun;
  readonly method: TuningMethod;
  readonly space: SearchSpace;
}

/** How the run gets its baseline: the default configuration as trial 0, or beside the trials. */
interface DefaultPlan {
  readonly defaults: ModelParams | null;
  readonly wantBaseline: boolean;
  readonly enqueueDefault: boolean;
  readonly sideDefault: { readonly params: ModelParams; readonly earlier: TrialMetrics | null } | null;
}

/**
 * The default configuration is measured once per data and folds: trial 0 of a fresh random,
 * bayesian or tpe run when nothing earlier measured it; a grid point when the grid has it; else
 * beside the trials, or copied from an earlier measurement (a trial or another run's baseline).
 */
async function planDefault(
  storage: TuningStorage,
  opened: OpenedRun,
  known: { prior: readonly PriorTrial[]; measured: readonly MeasuredTrial[]; trials: readonly Trial[] },
  options: RunTuningOptions,
): Promise<DefaultPlan> {
  const { run, method, space } = opened;
  const defaults = defaultTrialParams(space, run.model);
  const defaultsKey = defaults ? paramsKey(defaults) : null;
  const wantBaseline = !run.config.baseline && (options.evaluateDefault ?? true);
  const none = { defaults, wantBaseline, enqueueDefault: false, sideDefault: null };
  if (!wantBaseline || options.resume) return none;
  const params = defaults ?? defaultCenter(run.model);
  const earlier =
    measuredOf(known.measured, params)?.metrics ?? (await earlierBaseline(storage, run, params));
  // Measured before on the same data and folds: copied at once, whatever this run's trials are.
  if (earlier) return { ...none, sideDefault: { params, earlier } };
  const inPrior = known.prior.some((p) => paramsKey(p.params) === defaultsKey);
  const enqueueDefault = defaults !== null && method !== 'grid' && known.trials.length === 0 && !inPrior;
  const gridHasDefault = run.config.gridPoints?.some((p) => paramsKey(p) === defaultsKey) ?? false;
  if (enqueueDefault || gridHasDefault) return { ...none, enqueueDefault };
  return { ...none, sideDefault: { params, earlier: null } };
}

/** Everything the trial loop needs: folds, pool, sampler, warm start, earlier measurements. */
export async function openSession(
  storage: TuningStorage,
  opened: OpenedRun,
  input: TuningInput,
  owner: string,
  workers: number,
  options: RunTuningOptions,
): Promise<TuningSession> {
  const { run, method, space } = opened;
  const objective = requireObjective(run.objective);
  const config = run.config;
  const filter = {
    model: run.model,
    dataFingerprint: input.fingerprint,
    objective,
    excludeRunId: run.id,
    // A trial fitted on fewer epochs measures something else: only the same share is reused.
    epochShare: runFidelity(config).epochShare,
  };
  const warm = (options.warmStart ?? true) && (method === 'bayesian' || method === 'tpe');
  const prior = warm ? await storage.priorTrials(filter) : [];
  const measured = await storage.measuredTrials({ ...filter, folds: config.folds });
  const trials = await storage.listTrials(run.id);
  const plan = await planDefault(storage, opened, { prior, measured, trials }, options);
  const sampler =
    options.sampler ??
    createSampler(method, {
      ...(config.gridPoints ? { gridPoints: config.gridPoints } : {}),
      ...(config.costAware ? { bayesian: { costAware: true } } : {}),
    });
  return new TuningSession(
    {
      ...plan,
      storage,
      run,
      owner,
      sampler,
      space,
      pool: options.queue
        ? createQueueTrialPool(options.queue, run.id, workers)
        : createTrialPool(trialSetupOf(run, input), workers),
      workers,
      prior,
      measured,
      heartbeatMs: options.heartbeatMs ?? 5000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
    trials,
  );
}

/** An earlier measurement of `params` on the same data and folds, if any. */
function measuredOf(measured: readonly MeasuredTrial[], params: ModelParams | null): Trial | null {
  if (!params) return null;
  const key = paramsKey(params);
  return measured.find((m) => paramsKey(m.trial.params) === key)?.trial ?? null;
}

/** The default configuration's metrics as an earlier run on the same data and folds measured them beside its trials. */
async function earlierBaseline(
  storage: TuningStorage,
  run: TuningRun,
  params: ModelParams,
): Promise<TrialMetrics | null> {
  const key = paramsKey(params);
  const runs = await storage.listRuns({ model: run.model });
  const same = runs.find(
    (r) =>
      r.id !== run.id &&
      r.dataFingerprint === run.dataFingerprint &&
      r.objective === run.objective &&
      r.config.folds === run.config.folds &&
      sameShare(runFidelity(r.config).epochShare, runFidelity(run.config).epochShare) &&
      r.config.baseline &&
      paramsKey(r.config.baseline.params) === key,
  );
  return same?.config.baseline?.metrics ?? null;
}
