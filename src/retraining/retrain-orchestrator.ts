import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { ratingsFingerprint } from '../data/ratings-data.ts';
import { materializeSplit, temporalSplit } from '../data/splits.ts';
import type { Database } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { championVersion } from '../monitoring/champion.ts';
import { windowStart } from '../monitoring/live-accuracy.ts';
import { screenBeforeAbTest } from './off-policy-screen.ts';
import { compareOffline, type OfflineComparison } from './offline-comparison.ts';
import { acquireRetrainLock, heartbeatRetrainLock, releaseRetrainLock } from './retrain-lock.ts';
import { type DeployOutcome, deployCandidate, readChampion, registerCandidate } from './retrain-registry.ts';
import {
  abandonTrigger,
  beginStep,
  endStep,
  finishTrigger,
  getTrigger,
  heartbeatTrigger,
  listSteps,
  openTrigger,
  type RetrainStep,
  type RetrainTrigger,
  requestRetrain,
  startTrigger,
  type TriggerSource,
} from './retrain-triggers.ts';
import { type RetrainTuning, tuneForRetrain } from './retrain-tuning.ts';
import { fitWithWindowSelection, minTime, sinceTime } from './window-selection.ts';

/** How one retrain runs. JSON-serialisable: it is stored with the trigger and sent to workers. */
export interface RetrainOptions {
  /** Tune hyperparameters first (warm-started from earlier tuning runs). */
  readonly tune?: boolean;
  /** Tuning method (random, grid, bayesian, tpe…). */
  readonly method?: string;
  readonly trials?: number;
  /** Activate on the offline comparison (≥ autoActivateThreshold) instead of starting an A/B test. */
  readonly activateIfBetter?: boolean;
  /** Model kind; default the champion's, else `svd`. */
  readonly model?: string;
  /** Parameters; default the tuned ones, else the champion's, else the model's defaults. */
  readonly params?: ModelParams;
  readonly seed?: number;
  /**
   * Choose how far back to train (the whole set, or the last three quarters, half or quarter of the window) by the error on
   * the recent holdout (default true): after a change of taste the older ratings mislead, and the
   * holdout shows it.
   */
  readonly windowSelection?: boolean;
  /** Share of the most recent ratings held out for the offline comparison (default 0.1). */
  readonly holdoutFraction?: number;
  /** Share of users the challenger serves in the A/B test (default D's default). */
  readonly abTraffic?: number;
  /** Rated recommendations each arm needs before the A/B test decides (default D's default). */
  readonly abMinSamples?: number;
  /** Days after which an undecided A/B test discards the challenger (default D's default). */
  readonly abMaxDays?: number;
}

export type RetrainSettings = Pick<
  Config,
  | 'trainingWindowDays'
  | 'autoActivateThreshold'
  | 'retrainData'
  | 'includeUnexpected'
  | 'staleAfterSeconds'
  | 'retrainCooldownHours'
  | 'likeThreshold'
>;

export interface RetrainRunOptions extends RetrainOptions {
  /** Run this trigger (already recorded); default: a new manual trigger, or the pending one. */
  readonly triggerId?: number;
  readonly source?: TriggerSource;
  readonly reason?: string;
  /** The clock; simulations pass a simulated one. Default Date.now. */
  readonly clock?: () => number;
  /** Who holds the lock (host:pid:random by default). */
  readonly holder?: string;
  /** Called when each step starts (progress output; tests use it to stop a run mid-way). */
  readonly onStep?: (step: RetrainStepName, triggerId: number) => void | Promise<void>;
}

export type RetrainStepName = 'data' | 'tune' | 'fit' | 'compare' | 'final-fit' | 'register' | 'deploy';

export interface RetrainResult {
  readonly triggerId: number;
  readonly status: 'succeeded' | 'failed';
  readonly outcome: string;
  readonly championBefore: number | null;
  readonly newVersion: number | null;
  readonly model: string | null;
  readonly params: ModelParams | null;
  readonly trainRows: number;
  readonly comparison: OfflineComparison | null;
  readonly deploy: DeployOutcome | null;
  /** Set when a stale holder's run was taken over. */
  readonly tookOverFrom: string | null;
  readonly steps: readonly RetrainStep[];
  readonly error: string | null;
}

export function defaultHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Picks the trigger to run: the given one, else a new manual trigger, else (blocked because one
 * is pending) that pending one. A trigger running under a live holder is a ConflictError.
 */
async function triggerToRun(
  db: Database,
  config: RetrainSettings,
  options: RetrainRunOptions,
  now: number,
): Promise<RetrainTrigger> {
  if (options.triggerId !== undefined) {
    const t = await getTrigger(db, options.triggerId);
    if (!t) throw new ConflictError(`retrain trigger #${options.triggerId} does not exist`);
    if (t.status !== 'pending' && t.status !== 'running') {
      throw new ConflictError(`retrain trigger #${t.id} is already ${t.status}`);
    }
    return t;
  }
  const { clock: _c, holder: _h, onStep: _o, triggerId: _t, source, reason, ...stored } = options;
  const decision = await requestRetrain(
    db,
    {
      source: source ?? 'manual',
      reason: reason ?? 'requested by hand',
      options: stored as Record<string, unknown>,
    },
    config,
    now,
  );
  if (decision.created) return decision.trigger;
  const open = decision.openTrigger ?? (await openTrigger(db));
  if (open?.status === 'pending') return open;
  throw new ConflictError(`cannot retrain now: ${decision.blocked}`);
}

/**
 * The retrain orchestrator (the seed's retrain_model.py). Steps, each recorded in retrain_steps:
 * data (all ratings or the window; unexpected movies unless excluded) → tune (optional, C's
 * tuner, warm-started) → fit on all but the most recent ratings → compare with the champion on
 * those recent ratings → final fit on everything → register the version → deploy (no champion:
 * activate; --activate-if-better: activate when the relative accuracy gain reaches
 * autoActivateThreshold; otherwise start an A/B test).
 *
 * Crash safety: nothing serving-visible changes before `register`, and registering a version does
 * not change what is served; only `deploy` moves the champion (in D's transaction). A run killed
 * anywhere leaves the champion as it was, the trigger `running` with a stale heartbeat and the lock
 * held by a dead holder; the next run takes both over once staleAfterSeconds has passed.
 */
export async function runRetrain(
  db: Database,
  config: RetrainSettings,
  options: RetrainRunOptions = {},
): Promise<RetrainResult> {
  const clock = options.clock ?? Date.now;
  const holder = options.holder ?? defaultHolder();
  const trigger = await triggerToRun(db, config, options, clock());
  const stored = trigger.options as RetrainOptions;
  const opts: RetrainOptions = { ...stored, ...stripRunOnly(options) };
  const lock = await acquireRetrainLock(db, holder, trigger.id, clock(), config.staleAfterSeconds * 1000);
  if (!lock.acquired) {
    throw new ConflictError(
      `another retrain is running (holder ${lock.holder}, trigger #${lock.triggerId ?? '?'}, heartbeat ${new Date(lock.heartbeatAt ?? 0).toISOString()})`,
    );
  }
  if (lock.takenOverFrom?.triggerId != null && lock.takenOverFrom.triggerId !== trigger.id) {
    await abandonTrigger(
      db,
      lock.takenOverFrom.triggerId,
      `abandoned: holder ${lock.takenOverFrom.holder} stopped heartbeating`,
      clock(),
    );
  }
  await startTrigger(db, trigger.id, holder, clock());
  const championBefore = await championVersion(db);
  let current: RetrainStepName | null = null;
  let comparison: OfflineComparison | null = null;
  let deploy: DeployOutcome | null = null;
  let newVersion: number | null = null;
  let kind: string | null = null;
  let params: ModelParams | null = null;
  let trainRows = 0;
  /** The result as it stands, with the steps recorded so far: one shape for success and failure. */
  const result = async (
    status: RetrainResult['status'],
    outcome: string,
    error: string | null,
  ): Promise<RetrainResult> => ({
    triggerId: trigger.id,
    status,
    outcome,
    championBefore,
    newVersion,
    model: kind,
    params,
    trainRows,
    comparison,
    deploy,
    tookOverFrom: lock.takenOverFrom?.holder ?? null,
    steps: await listSteps(db, trigger.id),
    error,
  });

  const step = async <T>(
    name: RetrainStepName,
    run: () => Promise<{ value: T; details: Record<string, unknown> }>,
  ): Promise<T> => {
    current = name;
    if (!(await heartbeatRetrainLock(db, holder, clock()))) {
      throw new ConflictError(`lost the retrain lock before step ${name} (presumed dead and taken over)`);
    }
    await heartbeatTrigger(db, trigger.id, clock());
    await beginStep(db, trigger.id, name, clock());
    await options.onStep?.(name, trigger.id);
    const { value, details } = await run();
    await endStep(db, trigger.id, name, 'done', details, clock());
    current = null;
    return value;
  };

  try {
    const now = clock();
    const data = await step('data', async () => {
      const since = config.retrainData === 'window' ? windowStart(now, config.trainingWindowDays) : undefined;
      const ratings = await loadRatingsData(db, {
        ...(since === undefined ? {} : { since }),
        includeUnexpected: config.includeUnexpected,
      });
      const movies = await loadMovies(db);
      return {
        value: { ratings, movies },
        details: {
          rows: ratings.size,
          since: since ?? null,
          includeUnexpected: config.includeUnexpected,
          fingerprint: ratingsFingerprint(ratings),
        },
      };
    });
    if (data.ratings.size < 20)
      throw new ConflictError(`only ${data.ratings.size} ratings to train on; import or generate data first`);
    trainRows = data.ratings.size;
    const champion = await readChampion(db);
    kind = opts.model ?? champion?.kind ?? 'svd';
    params = opts.params ?? champion?.params ?? null;
    const split = temporalSplit(data.ratings, { testFraction: opts.holdoutFraction ?? 0.1 });
    const { train, test } = materializeSplit(data.ratings, split);
    let tuning: RetrainTuning | null = null;
    if (opts.tune) {
      tuning = await step('tune', async () => {
        const r = await tuneForRetrain(db, {
          model: kind!,
          method: opts.method ?? 'bayesian',
          trials: opts.trials ?? 20,
          seed: opts.seed ?? 0,
          data: train,
          movies: data.movies,
        });
        return { value: r, details: { ...r } };
      });
      if (tuning.params) params = tuning.params;
    }
    const seed = opts.seed ?? 0;
    let span: number | null = null;
    const candidate = await step('fit', async () => {
      const chosen = fitWithWindowSelection({
        kind: kind!,
        params,
        train,
        test,
        seed,
        movies: data.movies,
        windowDays: config.trainingWindowDays,
        select: opts.windowSelection ?? true,
        ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
      });
      span = chosen.spanMs;
      return {
        value: chosen.model,
        details: {
          model: kind,
          params: chosen.model.params,
          trainRows: chosen.trainRows,
          windows: chosen.tried,
          chosenSpanDays: chosen.spanMs === null ? null : chosen.spanMs / 86_400_000,
        },
      };
    });
    params = candidate.params;
    comparison = await step('compare', async () => {
      const c = compareOffline(candidate, champion?.model ?? null, train, test, config.likeThreshold);
      return { value: c, details: { ...c, championLoadError: champion?.loadError ?? null } };
    });
    const finalData =
      span === null ? data.ratings : sinceTime(data.ratings, (test.size > 0 ? minTime(test) : now) - span);
    const final = await step('final-fit', async () => {
      const m = createModel(kind!, params ?? undefined);
      m.fit(finalData, { seed, movies: data.movies });
      return { value: m, details: { trainRows: finalData.size } };
    });
    newVersion = await step('register', async () => {
      const v = await registerCandidate(db, {
        model: final,
        data: finalData,
        parentVersion: champion?.version ?? null,
        comparison: comparison!,
        tuningRunId: tuning?.runId ?? null,
        tuningTrialNumber: tuning?.bestTrialNumber ?? null,
        now: clock(),
      });
      return { value: v, details: { version: v } };
    });
    deploy = await step('deploy', async () => {
      const screened = await screenBeforeAbTest(db, config, {
        version: newVersion!,
        championVersion: champion?.version ?? null,
        activateIfBetter: opts.activateIfBetter ?? false,
        triggerId: trigger.id,
        now: clock(),
      });
      if (screened) return { value: screened, details: { ...screened } };
      const d = await deployCandidate(db, {
        version: newVersion!,
        championVersion: champion?.version ?? null,
        comparison: comparison!,
        activateIfBetter: opts.activateIfBetter ?? false,
        autoActivateThreshold: config.autoActivateThreshold,
        ...(opts.abTraffic === undefined ? {} : { traffic: opts.abTraffic }),
        ...(opts.abMinSamples === undefined ? {} : { abMinSamples: opts.abMinSamples }),
        ...(opts.abMaxDays === undefined ? {} : { abMaxDays: opts.abMaxDays }),
        triggerId: trigger.id,
        now: clock(),
      });
      return { value: d, details: { ...d } };
    });
    const outcome = deploy.summary;
    await finishTrigger(
      db,
      trigger.id,
      { status: 'succeeded', outcome, newVersion, abTestId: deploy.abTestId },
      clock(),
    );
    return await result('succeeded', outcome, null);
  } catch (error) {
    const message = (error as Error).message;
    const failedStep = current as RetrainStepName | null;
    if (failedStep) await endStep(db, trigger.id, failedStep, 'failed', { error: message }, clock());
    const outcome = `failed in step ${failedStep ?? '?'}: ${message}; champion ${championBefore === null ? 'none' : `v${championBefore}`} still serving`;
    await finishTrigger(db, trigger.id, { status: 'failed', outcome, newVersion, error: message }, clock());
    return await result('failed', outcome, message);
  } finally {
    await releaseRetrainLock(db, holder);
  }
}

function stripRunOnly(o: RetrainRunOptions): RetrainOptions {
  const { clock: _c, holder: _h, onStep: _o, triggerId: _t, source: _s, reason: _r, ...rest } = o;
  return rest;
}

/** For the scheduler: run the oldest pending trigger, if any. */
export async function runPendingRetrain(
  db: Database,
  config: RetrainSettings,
  options: Omit<RetrainRunOptions, 'triggerId'> = {},
): Promise<RetrainResult | null> {
  const open = await openTrigger(db);
  if (open === undefined || open.status !== 'pending') return null;
  return runRetrain(db, config, { ...options, triggerId: open.id });
}
