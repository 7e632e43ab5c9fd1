import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { type MovieInfo, type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import { kFoldSplits } from '../data/splits.ts';
import type { Database } from '../db/database.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { type BestHp, bestHpPathFor, isNewBest, readBestHp, writeBestHp } from './best-hp.ts';
import { defaultCenter, defaultSearchSpace } from './default-spaces.ts';
import type { IntermediateValue } from './median-pruner.ts';
import {
  isBetter,
  type ObjectiveMetric,
  objectiveDirection,
  requireObjective,
  type TrialMetrics,
} from './objective.ts';
import type { SampledTrial } from './sampler.ts';
import {
  createSampler,
  defaultTrialCounts,
  requireTuningMethod,
  type TuningMethod,
} from './sampler-registry.ts';
import { buildGrid } from './samplers/grid-sampler.ts';
import { isInSpace, normalizeSpace, paramsKey, type SearchSpace } from './search-space.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import type { TrialResult, TrialSetup } from './trial-evaluation.ts';
import { createTrialPool } from './trial-pool.ts';
import type { RunConfig, Trial, TuningRun, TuningStorage } from './tuning-storage.ts';

export interface RunTuningOptions {
  /** grid | random | bayesian | tpe. Ignored with `resume` (the run's own method is used). */
  readonly method?: TuningMethod;
  /** Registry name of the model (default `svd`). */
  readonly model?: string;
  /** Trials that must finish (default: 81 grid / 50 random / 20 bayesian / 30 tpe). */
  readonly trials?: number;
  /** Any metric of the evaluator (default `accuracy`, maximised; ties broken by RMSE). */
  readonly objective?: ObjectiveMetric;
  /** k of the k-fold cross-validation, the same folds for every trial (default 3). */
  readonly folds?: number;
  /** Worker threads (default: the number of cores); 0 runs trials in this thread. */
  readonly workers?: number;
  readonly seed?: number;
  /** Default: the model's default space. */
  readonly space?: SearchSpace;
  /** Continue this run instead of starting one. */
  readonly resume?: string;
  /** Pruning with the median rule (default on: 5 start-up trials, 3 warm-up epochs); false turns it off. */
  readonly prune?: boolean | { readonly startupTrials?: number; readonly warmupSteps?: number };
  /** Use earlier trials of the same model, data and objective (bayesian, tpe; default true). */
  readonly warmStart?: boolean;
  /** Grid centre; default: best_hp.json (same model and data), else the best earlier trial, else the model's defaults. */
  readonly center?: ModelParams;
  /** Measure the default configuration on the same folds, for comparisons (default true). */
  readonly evaluateDefault?: boolean;
  /** Where best_hp.json goes (default: beside the SQLite file, or the cwd); null: do not write. */
  readonly bestOut?: string | null;
  /** The ratings to tune on (default: every rating in the database). */
  readonly data?: RatingsData;
  readonly movies?: ReadonlyMap<number, MovieInfo>;
  /** A run whose owner's heartbeat is older than this is taken over on resume (default 120 s). */
  readonly staleAfterMs?: number;
  /** How often the heartbeat is written (default 5 s). */
  readonly heartbeatMs?: number;
  /** Stops scheduling; in-flight trials are abandoned (stored failed) and the run is `interrupted`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TuningProgress) => void;
  /** Called once the run exists (its id is known). */
  readonly onRunCreated?: (run: TuningRun) => void;
  /** Tag stored in the run's config (the workflow records the run it warm-started from). */
  readonly warmStartFrom?: string | null;
}

/** What a progress display needs after each finished trial. */
export interface TuningProgress {
  readonly runId: string;
  readonly done: number;
  readonly planned: number;
  readonly running: number;
  readonly failed: number;
  readonly pruned: number;
  readonly bestValue: number | null;
  readonly bestTrial: number | null;
  readonly elapsedMs: number;
  /** Estimated time left, from the mean time per finished trial in this process; null at first. */
  readonly etaMs: number | null;
  readonly last: Trial | null;
}

export interface TuningResult {
  readonly run: TuningRun;
  readonly trials: readonly Trial[];
  readonly best: Trial | null;
  /** The best_hp.json object of this run's best (whether or not it was written). */
  readonly bestHp: BestHp | null;
  /** Where best_hp.json was written, when this run found a new best; null otherwise. */
  readonly bestHpWritten: string | null;
}

/** Failed trials whose reason starts with this are retried: their process or thread died. */
export const INTERRUPTED = 'interrupted:';

function ownerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Is the process that owns a run provably gone? Only decidable on the same host. */
export function ownerIsDead(owner: string | null): boolean {
  if (!owner) return true;
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function toSampled(t: Trial): SampledTrial {
  return { number: t.number, params: t.params, state: t.state, value: t.value };
}

function requireWhole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new InvalidInputError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  return value;
}

/** Checks that every fixed/centre value the user gave fits the space, naming the first that does not. */
function checkCenter(space: SearchSpace, center: ModelParams): ModelParams {
  const out: Record<string, number | string | boolean> = { ...center };
  for (const [name, spec] of Object.entries(space.params)) {
    const v = center[name];
    if (v !== undefined && !isInSpace(spec, v)) delete out[name];
  }
  return out;
}

/**
 * Runs (or resumes) a tuning run: asks the sampler for configurations, evaluates them by k-fold
 * cross-validation in worker threads, and stores every trial as it starts and ends. The calling
 * thread is the only database writer. Killed at any moment, the database holds every finished
 * trial; `resume` marks the in-flight ones failed and retries them under new numbers.
 */
export async function runTuning(db: Database, options: RunTuningOptions = {}): Promise<TuningResult> {
  const storage: TuningStorage = new SqlTuningStorage(db);
  const owner = ownerId();
  const now = () => Date.now();
  const staleAfterMs = options.staleAfterMs ?? 120_000;
  const workers = options.workers ?? availableParallelism();
  requireWhole('workers', workers, 0);

  const movies = options.movies ?? (options.data ? undefined : await loadMovies(db));
  const data = options.data ?? (await loadRatingsData(db));
  const fingerprint = ratingsFingerprint(data);

  let run: TuningRun;
  let method: TuningMethod;
  let space: SearchSpace;
  if (options.resume) {
    const found = await storage.getRun(options.resume);
    if (!found) throw new NotFoundError(`no tuning run ${options.resume} (see \`movienight tune review\`)`);
    if (found.status === 'complete') throw new ConflictError(`tuning run ${found.id} is already complete`);
    if (found.dataFingerprint !== fingerprint) {
      throw new InvalidInputError(
        `tuning run ${found.id} was on data ${found.dataFingerprint}, but the ratings are now ${fingerprint}; start a new run`,
      );
    }
    const claimed = await storage.claimRun(
      found.id,
      owner,
      now(),
      now() - staleAfterMs,
      ownerIsDead(found.owner),
    );
    if (!claimed) {
      throw new ConflictError(
        `tuning run ${found.id} is being worked on by ${found.owner} (heartbeat ${new Date(found.heartbeatAt ?? 0).toISOString()}); wait, or resume after it stops`,
      );
    }
    await storage.failRunningTrials(
      found.id,
      `${INTERRUPTED} the process running it (${found.owner}) stopped`,
      now(),
    );
    run = (await storage.getRun(found.id))!;
    method = requireTuningMethod(run.method);
    space = run.config.space as SearchSpace;
  } else {
    method = requireTuningMethod(options.method ?? 'random');
    const model = options.model ?? 'svd';
    const objective = requireObjective(options.objective ?? 'accuracy');
    const folds = requireWhole('folds', options.folds ?? 3, 2);
    const seed = requireWhole('seed', options.seed ?? 0, 0);
    space = normalizeSpace(options.space ?? defaultSearchSpace(model));
    let gridPoints: ModelParams[] | undefined;
    if (method === 'grid') {
      const center = checkCenter(
        space,
        options.center ?? (await gridCenter(storage, model, fingerprint, objective, options.bestOut, db)),
      );
      gridPoints = buildGrid(space, center);
    }
    const planned = requireWhole(
      'trials',
      options.trials ?? (gridPoints ? gridPoints.length : defaultTrialCounts[method]),
      1,
    );
    const prune = options.prune ?? true;
    const config: RunConfig = {
      seed,
      folds,
      space,
      ...(gridPoints ? { gridPoints } : {}),
      pruner: prune
        ? {
            startupTrials: (typeof prune === 'object' && prune.startupTrials) || 5,
            warmupSteps: (typeof prune === 'object' && prune.warmupSteps) || 3,
          }
        : null,
      baseline: null,
      warmStartFrom: options.warmStartFrom ?? null,
    };
    run = await storage.createRun({
      method,
      model,
      objective,
      direction: objectiveDirection(objective),
      dataFingerprint: fingerprint,
      trialsPlanned: gridPoints ? Math.min(planned, gridPoints.length) : planned,
      config,
      owner,
      now: now(),
    });
  }
  options.onRunCreated?.(run);

  const objective = requireObjective(run.objective);
  const config = run.config;
  const sampler = createSampler(method, config.gridPoints ? { gridPoints: config.gridPoints } : {});
  const splits = kFoldSplits(data, { folds: config.folds, seed: config.seed });
  const setup: TrialSetup = {
    kind: run.model,
    objective,
    data,
    splits,
    seed: config.seed,
    ...(movies ? { movies: [...movies.values()] } : {}),
  };
  const prior =
    (options.warmStart ?? true) && (method === 'bayesian' || method === 'tpe')
      ? await storage.priorTrials({
          model: run.model,
          dataFingerprint: fingerprint,
          objective,
          excludeRunId: run.id,
        })
      : [];

  const pool = createTrialPool(setup, workers);
  const trials: Trial[] = await storage.listTrials(run.id);
  const inflight = new Map<number, Promise<void>>();
  const t0 = performance.now();
  let finishedHere = 0;
  let lostOwnership = false;
  // Serialises writes: heartbeats and trial results never interleave inside one connection.
  let writes: Promise<unknown> = Promise.resolve();
  const write = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = writes.then(fn);
    writes = next.catch(() => undefined);
    return next;
  };
  const heartbeat = setInterval(() => {
    void write(() => storage.heartbeat(run.id, owner, now())).then((ok) => {
      if (!ok) lostOwnership = true;
    });
  }, options.heartbeatMs ?? 5000);
  heartbeat.unref();

  const doneCount = () => trials.filter((t) => t.state === 'complete' || t.state === 'pruned').length;
  const progress = (last: Trial | null) => {
    if (!options.onProgress) return;
    const done = doneCount();
    let best: Trial | null = null;
    for (const t of trials) {
      if (t.state !== 'complete' || t.value === null) continue;
      if (
        isBetter(
          { value: t.value, rmse: t.metrics?.rmse ?? null },
          best ? { value: best.value!, rmse: best.metrics?.rmse ?? null } : null,
          run.direction,
        )
      )
        best = t;
    }
    const elapsedMs = performance.now() - t0;
    const left = Math.max(0, run.trialsPlanned - done);
    options.onProgress({
      runId: run.id,
      done,
      planned: run.trialsPlanned,
      running: trials.filter((t) => t.state === 'running').length,
      failed: trials.filter((t) => t.state === 'failed').length,
      pruned: trials.filter((t) => t.state === 'pruned').length,
      bestValue: best?.value ?? null,
      bestTrial: best?.number ?? null,
      elapsedMs,
      etaMs: finishedHere > 0 ? (elapsedMs / finishedHere) * left : null,
      last,
    });
  };

  const completedCurves = (): IntermediateValue[][] =>
    trials.filter((t) => t.state === 'complete').map((t) => [...t.intermediateValues]);

  const tell = async (result: TrialResult) => {
    const outcome =
      result.state === 'failed'
        ? {
            state: 'failed' as const,
            error: result.error,
            intermediateValues: result.intermediateValues,
            durationMs: result.durationMs,
          }
        : result;
    const finished = await write(() => storage.finishTrial(run.id, result.number, outcome, now()));
    if (result.state === 'complete' && wantBaseline && paramsKey(finished.params) === defaultsKey) {
      await recordBaseline(result.metrics);
    }
    const i = trials.findIndex((t) => t.number === finished.number);
    trials[i] = finished;
    finishedHere++;
    progress(finished);
  };

  // The default configuration on the same folds, for every comparison ("better than the default").
  // It is trial 0 of a fresh random/bayesian/tpe run (Optuna's enqueue_trial) and usually a grid
  // point; only when no trial of this run will have it is it measured on the side.
  const defaults = defaultTrialParams(space, run.model);
  const defaultsKey = defaults ? paramsKey(defaults) : null;
  const wantBaseline = !config.baseline && (options.evaluateDefault ?? true);
  const enqueueDefault =
    wantBaseline &&
    defaults !== null &&
    method !== 'grid' &&
    trials.length === 0 &&
    !prior.some((p) => paramsKey(p.params) === defaultsKey);
  const gridHasDefault = config.gridPoints?.some((p) => paramsKey(p) === defaultsKey) ?? false;
  const recordBaseline = async (metrics: TrialMetrics | null) => {
    if (!defaults || !metrics || run.config.baseline) return;
    const updated: RunConfig = { ...run.config, baseline: { params: defaults, metrics } };
    await write(() => storage.updateRunConfig(run.id, updated));
    run = { ...run, config: updated };
  };
  let baselineJob: Promise<void> = Promise.resolve();
  if (wantBaseline && !enqueueDefault && !gridHasDefault && !options.resume) {
    const sideParams = defaults ?? defaultCenter(run.model);
    baselineJob = pool.run({ number: -1, params: sideParams, prune: null }).then(async (result) => {
      if (result.state === 'complete' && result.metrics) {
        const updated: RunConfig = {
          ...run.config,
          baseline: { params: sideParams, metrics: result.metrics },
        };
        await write(() => storage.updateRunConfig(run.id, updated));
        run = { ...run, config: updated };
      }
    });
  }

  let stopReason: 'complete' | 'interrupted' | 'failed' = 'complete';
  let failure: string | null = null;
  const maxFailures = Math.max(3, run.trialsPlanned);
  // One listener for the whole run: a new one per wait piled up on the signal (one per trial) and
  // set off Node's MaxListenersExceededWarning after ten trials.
  const aborted = abortPromise(options.signal);
  try {
    while (true) {
      if (options.signal?.aborted || lostOwnership) {
        stopReason = 'interrupted';
        break;
      }
      const done = doneCount();
      if (done + inflight.size >= run.trialsPlanned || inflight.size >= Math.max(1, workers)) {
        if (inflight.size === 0) break;
        await Promise.race([...inflight.values(), aborted]);
        continue;
      }
      const failedOwn = trials.filter(
        (t) => t.state === 'failed' && !(t.error ?? '').startsWith(INTERRUPTED),
      );
      if (failedOwn.length >= maxFailures) {
        stopReason = 'failed';
        failure = `${failedOwn.length} trials failed; last: ${failedOwn[failedOwn.length - 1]?.error ?? ''}`;
        break;
      }
      // Retry a trial whose process died, once, unless its configuration is taken again meanwhile.
      const taken = new Set(trials.filter((t) => t.state !== 'failed').map((t) => paramsKey(t.params)));
      const retried = new Set(trials.map((t) => t.retryOf).filter((n): n is number => n !== null));
      const retry = trials.find(
        (t) =>
          t.state === 'failed' &&
          (t.error ?? '').startsWith(INTERRUPTED) &&
          !retried.has(t.number) &&
          !taken.has(paramsKey(t.params)),
      );
      const params =
        retry?.params ??
        (enqueueDefault && trials.length === 0 ? defaults : null) ??
        sampler.sample({
          space,
          direction: run.direction,
          trials: trials.map(toSampled),
          prior,
          number: trials.length === 0 ? 0 : trials[trials.length - 1]!.number + 1,
          seed: config.seed,
        });
      if (!params) {
        // A finished grid: nothing left to propose.
        if (inflight.size === 0) break;
        await Promise.race(inflight.values());
        continue;
      }
      const trial = await write(() => storage.startTrial(run.id, params, now(), retry?.number ?? null));
      trials.push(trial);
      const task = {
        number: trial.number,
        params,
        // The default configuration is always measured in full: it is the run's baseline.
        prune:
          config.pruner && paramsKey(params) !== defaultsKey
            ? { ...config.pruner, completed: completedCurves() }
            : null,
      };
      const job = pool
        .run(task)
        .then(tell)
        .finally(() => inflight.delete(trial.number));
      inflight.set(trial.number, job);
    }
    if (stopReason === 'complete') await baselineJob;
  } catch (error) {
    // A storage or programming error: leave the run resumable (failed, not "running" under a
    // live owner, which no other process could take over until the heartbeat went stale).
    clearInterval(heartbeat);
    await pool.close();
    await writes;
    await storage
      .failRunningTrials(run.id, `${INTERRUPTED} ${(error as Error).message}`, now())
      .catch(() => {});
    await storage.finishRun(run.id, 'failed', now(), (error as Error).message).catch(() => {});
    throw error;
  } finally {
    clearInterval(heartbeat);
    await pool.close();
    // Trials still in flight (interrupted) are abandoned: their results never arrive.
    await Promise.race([Promise.allSettled(inflight.values()), new Promise((r) => setTimeout(r, 50))]);
    await writes;
  }
  if (stopReason !== 'complete') {
    await storage.failRunningTrials(run.id, `${INTERRUPTED} the run was stopped`, now());
  }
  const finalStatus =
    stopReason === 'complete' && doneCount() < run.trialsPlanned && !config.gridPoints
      ? 'failed'
      : stopReason;
  if (!lostOwnership) await storage.finishRun(run.id, finalStatus, now(), failure);
  run = (await storage.getRun(run.id))!;
  const allTrials = await storage.listTrials(run.id);
  const best =
    run.bestTrialNumber === null ? null : (allTrials.find((t) => t.number === run.bestTrialNumber) ?? null);
  const bestHp = best ? bestHpOf(run, best) : null;
  let bestHpWritten: string | null = null;
  if (bestHp && options.bestOut !== null) {
    const path = options.bestOut ?? bestHpPathFor(db.location);
    if (isNewBest(bestHp, readBestHpOrUndefined(path))) {
      writeBestHp(path, bestHp);
      bestHpWritten = path;
    }
  }
  return { run, trials: allTrials, best, bestHp, bestHpWritten };
}

/**
 * The model's default configuration in the space's terms (the space's parameters at their default
 * values, plus the fixed ones), or null when a default lies outside the space.
 */
export function defaultTrialParams(space: SearchSpace, kind: string): ModelParams | null {
  const defaults = defaultCenter(kind);
  const out: Record<string, number | string | boolean> = { ...(space.fixed ?? {}) };
  for (const [name, spec] of Object.entries(space.params)) {
    const v = defaults[name];
    if (v === undefined || !isInSpace(spec, v)) return null;
    out[name] = v;
  }
  return out;
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** A damaged best_hp.json is replaced rather than blocking every run. */
function readBestHpOrUndefined(path: string): BestHp | undefined {
  try {
    return readBestHp(path);
  } catch {
    return undefined;
  }
}

export function bestHpOf(run: TuningRun, best: Trial): BestHp {
  return {
    model: run.model,
    params: best.params,
    objective: run.objective,
    direction: run.direction,
    value: best.value!,
    metrics: best.metrics!,
    baseline: {
      majorityAccuracy: best.metrics!.baselineAccuracy,
      defaultParams: run.config.baseline?.params ?? null,
      defaultMetrics: run.config.baseline?.metrics ?? null,
    },
    method: run.method,
    runId: run.id,
    trialNumber: best.number,
    dataFingerprint: run.dataFingerprint,
    folds: run.config.folds,
    createdAt: new Date(run.endedAt ?? Date.now()).toISOString(),
  };
}

/** The grid's centre: best_hp.json for this model and data, else the best earlier trial, else the defaults. */
async function gridCenter(
  storage: TuningStorage,
  model: string,
  fingerprint: string,
  objective: ObjectiveMetric,
  bestOut: string | null | undefined,
  db: Database,
): Promise<ModelParams> {
  const path = bestOut ?? bestHpPathFor(db.location);
  const saved = readBestHpOrUndefined(path);
  if (saved && saved.model === model && saved.dataFingerprint === fingerprint)
    return { ...defaultCenter(model), ...saved.params };
  const prior = await storage.priorTrials({ model, dataFingerprint: fingerprint, objective });
  const direction = objectiveDirection(objective);
  let best: (typeof prior)[number] | null = null;
  for (const p of prior) {
    if (!best || (direction === 'maximize' ? p.value > best.value : p.value < best.value)) best = p;
  }
  return best ? { ...defaultCenter(model), ...best.params } : defaultCenter(model);
}
