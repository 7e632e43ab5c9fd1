import { loadRatingsData } from '../data/load-ratings.ts';
import { ratingsFingerprint } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import { crossValidate } from '../evaluation/cross-validate.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { getActiveModelVersion } from '../registry/active-model.ts';
import { type BestHp, readBestHp } from './best-hp.ts';
import { metricValue, type ObjectiveMetric, type TrialMetrics, trialMetrics } from './objective.ts';
import { bestSoFar, type ParamImportance, paramImportance, trialStates } from './run-analysis.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import type { Trial, TuningRun } from './tuning-storage.ts';

/** One line of the comparison table. */
export interface ReviewEntry {
  readonly name: 'best' | 'default' | 'majority baseline' | 'active model';
  readonly params: ModelParams | null;
  /** The run's objective; null where it was not measured. */
  readonly value: number | null;
  readonly accuracy: number | null;
  readonly rmse: number | null;
  /** Objective minus the majority baseline's accuracy (only for the accuracy objective). */
  readonly vsMajority: number | null;
  readonly note: string | null;
}

/** A tuning run's review as plain data. */
export interface TuningReview {
  readonly run: Pick<
    TuningRun,
    | 'id'
    | 'method'
    | 'model'
    | 'objective'
    | 'direction'
    | 'status'
    | 'trialsPlanned'
    | 'trialsDone'
    | 'dataFingerprint'
  >;
  readonly comparison: readonly ReviewEntry[];
  /** The best complete trials, best first. */
  readonly topTrials: ReadonlyArray<{
    readonly number: number;
    readonly value: number;
    readonly accuracy: number;
    readonly rmse: number;
    readonly params: ModelParams;
  }>;
  /** Most important first (ε², see run-analysis.ts). */
  readonly importance: readonly ParamImportance[] | null;
  /** Best objective so far after each complete trial. */
  readonly convergence: ReadonlyArray<{ readonly number: number; readonly value: number }>;
  readonly states: Readonly<Record<'running' | 'complete' | 'pruned' | 'failed', number>>;
}

export interface ReviewOptions {
  /** Default: the most recent run. */
  readonly runId?: string;
  /** How many top trials (default 5). */
  readonly top?: number;
  /**
   * Cross-validate the active model's kind and params on the run's folds so it is compared on the
   * same footing (default true; skipped when the ratings changed since the run).
   */
  readonly measureActive?: boolean;
  /** best_hp.json to show beside (optional). */
  readonly bestHpPath?: string;
}

type EntryOf = (
  name: ReviewEntry['name'],
  params: ModelParams | null,
  metrics: TrialMetrics | null,
  note?: string | null,
) => ReviewEntry;

/** A comparison line from metrics, with the objective and its distance to the majority baseline. */
function entryMaker(objective: ObjectiveMetric, majority: number | null): EntryOf {
  return (name, params, metrics, note = null) => {
    const value = metrics ? metricValue(metrics, objective) : null;
    return {
      name,
      params,
      value,
      accuracy: metrics?.accuracy ?? null,
      rmse: metrics?.rmse ?? null,
      vsMajority: objective === 'accuracy' && value !== null && majority !== null ? value - majority : null,
      note,
    };
  };
}

function runSummary(run: TuningRun): TuningReview['run'] {
  const { id, method, model, objective, direction, status, trialsPlanned, trialsDone, dataFingerprint } = run;
  return { id, method, model, objective, direction, status, trialsPlanned, trialsDone, dataFingerprint };
}

/** Complete trials with metrics, best first (ties by the lower RMSE). */
function rankedComplete(trials: readonly Trial[], run: TuningRun) {
  const sign = run.direction === 'maximize' ? -1 : 1;
  const complete: Array<{ number: number; value: number; metrics: TrialMetrics; params: ModelParams }> = [];
  for (const t of trials)
    if (t.state === 'complete' && t.value !== null && t.metrics)
      complete.push({ number: t.number, value: t.value, metrics: t.metrics, params: t.params });
  return complete.sort((a, b) => sign * (a.value - b.value) || a.metrics.rmse - b.metrics.rmse);
}

/**
 * Reviews a tuning run: the best configuration against the default configuration, the majority
 * baseline and the active model; the top trials; parameter importance; convergence.
 */
export async function reviewTuning(
  db: Database,
  options: ReviewOptions = {},
): Promise<TuningReview & { readonly bestHp: BestHp | null }> {
  const storage = new SqlTuningStorage(db);
  const run = options.runId ? await storage.getRun(options.runId) : (await storage.listRuns({ limit: 1 }))[0];
  if (!run) {
    throw new NotFoundError(
      options.runId ? `no tuning run ${options.runId}` : 'no tuning run yet: run `movienight tune` first',
    );
  }
  const trials = await storage.listTrials(run.id);
  const objective = run.objective as ObjectiveMetric;
  const complete = rankedComplete(trials, run);
  const best = complete[0] ?? null;
  const majority = best?.metrics.baselineAccuracy ?? run.config.baseline?.metrics.baselineAccuracy ?? null;
  const entry = entryMaker(objective, majority);
  const comparison: ReviewEntry[] = [
    entry(
      'best',
      best?.params ?? null,
      best?.metrics ?? null,
      best ? `trial ${best.number}` : 'no complete trial',
    ),
    entry(
      'default',
      run.config.baseline?.params ?? null,
      run.config.baseline?.metrics ?? null,
      run.config.baseline ? 'same folds' : 'not measured in this run',
    ),
    {
      name: 'majority baseline',
      params: null,
      value: objective === 'accuracy' ? majority : null,
      accuracy: majority,
      rmse: null,
      vsMajority: objective === 'accuracy' && majority !== null ? 0 : null,
      note: 'always predict the training majority (liked / not liked)',
    },
    await activeEntry(db, run, options.measureActive ?? true, entry),
  ];
  return {
    run: runSummary(run),
    comparison,
    topTrials: complete.slice(0, options.top ?? 5).map((t) => ({
      number: t.number,
      value: t.value,
      accuracy: t.metrics.accuracy,
      rmse: t.metrics.rmse,
      params: t.params,
    })),
    importance: paramImportance(trials),
    convergence: bestSoFar(trials, run.direction),
    states: trialStates(trials),
    bestHp: options.bestHpPath ? (readBestHp(options.bestHpPath, db.location) ?? null) : null,
  };
}

async function activeEntry(
  db: Database,
  run: TuningRun,
  measure: boolean,
  entry: EntryOf,
): Promise<ReviewEntry> {
  let active: Awaited<ReturnType<typeof getActiveModelVersion>>;
  try {
    active = await getActiveModelVersion(db);
  } catch (error) {
    return entry('active model', null, null, `none (${(error as Error).message})`);
  }
  const v = active.version;
  const label = `version ${v.version} (${v.kind})`;
  if (!measure) return entry('active model', v.params, null, `${label}; not measured`);
  const data = await loadRatingsData(db);
  if (ratingsFingerprint(data) !== run.dataFingerprint) {
    return entry('active model', v.params, null, `${label}; ratings changed since the run, not comparable`);
  }
  const result = await crossValidate({
    kind: v.kind,
    params: v.params,
    data,
    folds: run.config.folds,
    seed: run.config.seed,
    ranking: !['accuracy', 'rmse', 'mae'].includes(run.objective),
  });
  return entry(
    'active model',
    v.params,
    trialMetrics(result),
    `${label}; its kind and params on the run's folds`,
  );
}
