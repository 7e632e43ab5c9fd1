import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { type MovieInfo, type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import { materializeSplit, temporalSplit } from '../data/splits.ts';
import type { Database } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import { getRunningAbTest } from '../experiments/ab-tests.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { windowStart } from '../monitoring/live-accuracy.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { championVersion } from '../registry/champion.ts';
import { tunedParamsFor } from '../tuning/best-hp.ts';
import { screenBeforeAbTest } from './off-policy-screen.ts';
import {
  compareOnHoldout,
  holdoutMetrics,
  holdoutSinceChampion,
  minFairHoldout,
  type OfflineComparison,
  type RecentHoldoutMetrics,
  unfairComparison,
} from './offline-comparison.ts';
import { heartbeatRetrainLock, retrainLockState } from './retrain-lock.ts';
import type {
  ParamsSource,
  RetrainOptions,
  RetrainRunOptions,
  RetrainSettings,
  RetrainStepName,
} from './retrain-options.ts';
import {
  type ChampionInfo,
  type DeployOutcome,
  deployCandidate,
  readChampion,
  registerCandidate,
  retrainMetrics,
} from './retrain-registry.ts';
import { beginStep, endStep, heartbeatTrigger } from './retrain-triggers.ts';
import { defaultQueuedTrials, type RetrainTuning, tuneForRetrain } from './retrain-tuning.ts';
import { fitWithWindowSelection, minTime, sinceTime } from './window-selection.ts';

/** What the run knows so far: the result's fields, filled in step by step. */
export interface Progress {
  model: string | null;
  params: ModelParams | null;
  paramsSource: ParamsSource | null;
  trainRows: number;
  comparison: OfflineComparison | null;
  newVersion: number | null;
  deploy: DeployOutcome | null;
}

/** One retrain in progress: its trigger, lock holder and clock, and the step runner. */
export interface RetrainContext {
  readonly db: Database;
  readonly config: RetrainSettings;
  readonly opts: RetrainOptions;
  readonly triggerId: number;
  readonly holder: string;
  readonly clock: () => number;
  readonly onStep: RetrainRunOptions['onStep'];
  readonly progress: Progress;
  /** Where the tune step's trials go; null: this thread. */
  readonly queue: JobQueue | null;
  current: RetrainStepName | null;
}

/**
 * What would stop a new retrain's deploy, checked before any trigger is recorded or anything
 * fitted: a live holder of the retrain lock, or a running A/B test (the new version could be
 * neither tested nor, without stopping that test, activated). Throws a ConflictError saying so.
 */
export async function refuseIfBlocked(db: Database, config: RetrainSettings, now: number): Promise<void> {
  const lock = await retrainLockState(db);
  if (lock.holder !== null && (lock.heartbeatAt ?? 0) >= now - config.staleAfterSeconds * 1000) {
    throw new ConflictError(
      `cannot retrain now: another retrain is running (holder ${lock.holder}, trigger #${lock.triggerId ?? '?'})`,
    );
  }
  await refuseIfTestRunning(db, 'cannot retrain now');
}

export async function refuseIfTestRunning(db: Database, prefix: string): Promise<void> {
  const test = await getRunningAbTest(db);
  if (test) {
    throw new ConflictError(
      `${prefix}: A/B test #${test.id} (v${test.challengerVersion} against v${test.championVersion}) is running; wait for its decision or stop it (movienight ab stop)`,
    );
  }
}

/** Runs one named step: heartbeat, record its start, run it, record its end with its details. */
export async function runStep<T>(
  ctx: RetrainContext,
  name: RetrainStepName,
  run: () => Promise<{ value: T; details: Record<string, unknown> }>,
): Promise<T> {
  const { db, clock, triggerId } = ctx;
  ctx.current = name;
  if (!(await heartbeatRetrainLock(db, ctx.holder, clock()))) {
    throw new ConflictError(`lost the retrain lock before step ${name} (presumed dead and taken over)`);
  }
  await heartbeatTrigger(db, triggerId, clock());
  await beginStep(db, triggerId, name, clock());
  await ctx.onStep?.(name, triggerId);
  const { value, details } = await run();
  await endStep(db, triggerId, name, 'done', details, clock());
  ctx.current = null;
  return value;
}

/** The steps in order; returns the trigger's outcome line. It is long because it lists them all. */
export async function retrainSteps(ctx: RetrainContext): Promise<string> {
  // A trigger recorded earlier (the scheduler's) is checked here, before anything expensive.
  if ((await championVersion(ctx.db)) !== null) await refuseIfTestRunning(ctx.db, 'cannot retrain now');
  const data = await runStep(ctx, 'data', () => loadStep(ctx));
  if (data.ratings.size < 20)
    throw new ConflictError(`only ${data.ratings.size} ratings to train on; import or generate data first`);
  ctx.progress.trainRows = data.ratings.size;
  const { champion } = data;
  const split = materializeSplit(
    data.ratings,
    temporalSplit(data.ratings, { testFraction: ctx.opts.holdoutFraction ?? 0.1 }),
  );
  const tuning = ctx.opts.tune ? await runStep(ctx, 'tune', () => tuneStep(ctx, data, split)) : null;
  const plan: Plan = tuning?.params ? { ...data.plan, params: tuning.params, source: 'tuned' } : data.plan;
  const fitted = await runStep(ctx, 'fit', () => fitStep(ctx, plan, split, data.movies));
  Object.assign(ctx.progress, { model: plan.kind, params: fitted.model.params, paramsSource: plan.source });
  const comparison = await runStep(ctx, 'compare', () => compareStep(ctx, fitted, champion, data));
  ctx.progress.comparison = comparison;
  const final = await runStep(ctx, 'final-fit', () => finalFitStep(ctx, fitted, split.test, data));
  ctx.progress.newVersion = await runStep(ctx, 'register', () =>
    registerStep(ctx, final, retrainMetrics(fitted.recent, comparison), champion, tuning),
  );
  const deploy = await runStep(ctx, 'deploy', () => deployStep(ctx, champion, comparison));
  ctx.progress.deploy = deploy;
  return deploy.summary;
}

/**
 * Checked again right before registering: a version is registered only when its deploy can
 * proceed (an A/B test started meanwhile would make the deploy fail and leave the version unused).
 */
async function refuseDeployBlocked(ctx: RetrainContext, champion: ChampionInfo | null): Promise<void> {
  if (champion !== null) await refuseIfTestRunning(ctx.db, 'not registered');
}

async function loadStep(ctx: RetrainContext) {
  const { config } = ctx;
  const since =
    config.retrainData === 'window' ? windowStart(ctx.clock(), config.trainingWindowDays) : undefined;
  const ratings = await loadRatingsData(ctx.db, {
    ...(since === undefined ? {} : { since }),
    includeUnexpected: config.includeUnexpected,
  });
  const movies = await loadMovies(ctx.db);
  const champion = await readChampion(ctx.db);
  // The parameters are chosen here so that a best_hp.json of another database fails this step.
  const plan = choosePlan(ctx, champion);
  return {
    value: { ratings, movies, champion, plan, since },
    details: {
      rows: ratings.size,
      since: since ?? null,
      includeUnexpected: config.includeUnexpected,
      fingerprint: ratingsFingerprint(ratings),
      model: plan.kind,
      paramsSource: plan.source,
    },
  };
}

/** The model kind and where its parameters come from. */
interface Plan {
  readonly kind: string;
  readonly params: ModelParams | null;
  readonly source: ParamsSource;
}

/**
 * The kind: the given one, else the champion's, else svd. The parameters: the given ones, else
 * best_hp.json's when it is for this kind (and this database), else the champion's when it is of
 * this kind, else the model's defaults.
 */
function choosePlan(ctx: RetrainContext, champion: ChampionInfo | null): Plan {
  const kind = ctx.opts.model ?? champion?.kind ?? 'svd';
  if (ctx.opts.params) return { kind, params: ctx.opts.params, source: 'given' };
  const tuned = tunedParamsFor(ctx.db.location, kind);
  if (tuned) return { kind, params: tuned, source: 'best_hp.json' };
  if (champion && champion.kind === kind) return { kind, params: champion.params, source: 'champion' };
  return { kind, params: null, source: 'defaults' };
}

/**
 * Tunes on the training part (every loaded rating before the holdout). With a queue the trials are
 * jobs, and the run records that part as a query (the load's window and flag, up to the first
 * holdout rating) so that the workers load the very same rows.
 */
async function tuneStep(
  ctx: RetrainContext,
  data: {
    ratings: RatingsData;
    movies: ReadonlyMap<number, MovieInfo>;
    plan: Plan;
    since: number | undefined;
  },
  split: { train: RatingsData; test: RatingsData },
) {
  const queue = ctx.queue;
  const r = await tuneForRetrain(ctx.db, {
    model: data.plan.kind,
    method: ctx.opts.method ?? 'bayesian',
    trials: ctx.opts.trials ?? 20,
    seed: ctx.opts.seed ?? 0,
    data: split.train,
    movies: data.movies,
    ...(queue
      ? {
          queue: {
            queue,
            inFlight: ctx.opts.workers ?? defaultQueuedTrials,
            selection: {
              since: data.since ?? null,
              // The temporal split holds out every rating at or after the first test one.
              until: minTime(split.test),
              includeUnexpected: ctx.config.includeUnexpected,
              scale: data.ratings.scale,
            },
          },
        }
      : {}),
  });
  return { value: r, details: { ...r } };
}

interface Fitted {
  readonly model: RatingModel;
  readonly spanMs: number | null;
  readonly recent: RecentHoldoutMetrics;
}

async function fitStep(
  ctx: RetrainContext,
  plan: Plan,
  split: { train: RatingsData; test: RatingsData },
  movies: ReadonlyMap<number, MovieInfo>,
) {
  const { config } = ctx;
  const chosen = fitWithWindowSelection({
    kind: plan.kind,
    params: plan.params,
    train: split.train,
    test: split.test,
    seed: ctx.opts.seed ?? 0,
    movies,
    windowDays: config.trainingWindowDays,
    select: ctx.opts.windowSelection ?? true,
    ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
  });
  const recent = holdoutMetrics(chosen.model, split.train, split.test, config.likeThreshold);
  return {
    value: { model: chosen.model, spanMs: chosen.spanMs, recent },
    details: {
      model: plan.kind,
      params: chosen.model.params,
      paramsSource: plan.source,
      trainRows: chosen.trainRows,
      windows: chosen.tried,
      chosenSpanDays: chosen.spanMs === null ? null : chosen.spanMs / 86_400_000,
      recentHoldout: { rows: recent.rows, accuracy: recent.metrics.accuracy, rmse: recent.metrics.rmse },
    },
  };
}

/**
 * The fair comparison: the holdout is every rating after the champion's training data ended (its
 * lineage); the challenger is fitted again on the ratings up to that point (over the same span
 * the fit step chose), so neither model has seen the holdout. Too few such ratings, or too few
 * before them, give no fair comparison, with the reason.
 */
async function compareStep(
  ctx: RetrainContext,
  fitted: Fitted,
  champion: ChampionInfo | null,
  data: { ratings: RatingsData; movies: ReadonlyMap<number, MovieInfo> },
) {
  const c = fairComparison(ctx, fitted, champion, data);
  return { value: c, details: { ...c, championLoadError: champion?.loadError ?? null } };
}

function fairComparison(
  ctx: RetrainContext,
  fitted: Fitted,
  champion: ChampionInfo | null,
  data: { ratings: RatingsData; movies: ReadonlyMap<number, MovieInfo> },
): OfflineComparison {
  if (!champion) return unfairComparison('no champion to compare with', null);
  if (!champion.model)
    return unfairComparison(`v${champion.version} could not be loaded: ${champion.loadError}`, null);
  const split = holdoutSinceChampion(data.ratings, champion);
  if (!split) return unfairComparison(`v${champion.version}'s lineage has no training data range`, null);
  const since = `since v${champion.version}'s data`;
  if (split.after.size < minFairHoldout)
    return unfairComparison(
      `no fair offline comparison: ${split.after.size} ratings ${since}`,
      split.holdout,
    );
  const cut = champion.dataTo ?? 0;
  const train = fitted.spanMs === null ? split.before : sinceTime(split.before, cut - fitted.spanMs);
  if (train.size < 20)
    return unfairComparison(
      `no fair offline comparison: ${train.size} ratings to train on up to the end of v${champion.version}'s data`,
      split.holdout,
    );
  const challenger = createModel(fitted.model.kind, fitted.model.params);
  challenger.fit(train, { seed: ctx.opts.seed ?? 0, movies: data.movies });
  return compareOnHoldout(challenger, champion.model, split.holdout, split.after, ctx.config.likeThreshold);
}

async function finalFitStep(
  ctx: RetrainContext,
  fitted: Fitted,
  test: RatingsData,
  data: { ratings: RatingsData; movies: ReadonlyMap<number, MovieInfo> },
) {
  const span = fitted.spanMs;
  const end = test.size > 0 ? minTime(test) : ctx.clock();
  const finalData = span === null ? data.ratings : sinceTime(data.ratings, end - span);
  const m = createModel(fitted.model.kind, fitted.model.params);
  m.fit(finalData, { seed: ctx.opts.seed ?? 0, movies: data.movies });
  return { value: { model: m, data: finalData }, details: { trainRows: finalData.size } };
}

async function registerStep(
  ctx: RetrainContext,
  final: { model: RatingModel; data: RatingsData },
  metrics: Record<string, number>,
  champion: ChampionInfo | null,
  tuning: RetrainTuning | null,
) {
  await refuseDeployBlocked(ctx, champion);
  const v = await registerCandidate(ctx.db, {
    model: final.model,
    data: final.data,
    parentVersion: champion?.version ?? null,
    metrics,
    tuningRunId: tuning?.runId ?? null,
    tuningTrialNumber: tuning?.bestTrialNumber ?? null,
    now: ctx.clock(),
  });
  return { value: v, details: { version: v, metrics } };
}

export async function deployStep(
  ctx: RetrainContext,
  champion: ChampionInfo | null,
  comparison: OfflineComparison,
) {
  const { opts } = ctx;
  const version = ctx.progress.newVersion;
  if (version === null) throw new Error('deploy before register');
  const screened = await screenBeforeAbTest(ctx.db, ctx.config, {
    version,
    championVersion: champion?.version ?? null,
    activateIfBetter: opts.activateIfBetter ?? false,
    triggerId: ctx.triggerId,
    now: ctx.clock(),
  });
  if (screened) return { value: screened, details: { ...screened } };
  const d = await deployCandidate(ctx.db, {
    version,
    championVersion: champion?.version ?? null,
    comparison,
    activateIfBetter: opts.activateIfBetter ?? false,
    autoActivateThreshold: ctx.config.autoActivateThreshold,
    ...(opts.abTraffic === undefined ? {} : { traffic: opts.abTraffic }),
    ...(opts.abMinSamples === undefined ? {} : { abMinSamples: opts.abMinSamples }),
    ...(opts.abMaxDays === undefined ? {} : { abMaxDays: opts.abMaxDays }),
    triggerId: ctx.triggerId,
    now: ctx.clock(),
  });
  return { value: d, details: { ...d } };
}
