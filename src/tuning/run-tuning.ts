import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { type MovieInfo, type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { type BestHp, bestHpOf, bestHpTarget, isNewBest, readBestHpIfSound, writeBestHp } from './best-hp.ts';
import { defaultSearchSpace } from './default-spaces.ts';
import { gridPointsFor } from './grid-center.ts';
import { type ObjectiveMetric, objectiveDirection, requireObjective } from './objective.ts';
import type { Sampler } from './sampler.ts';
import { defaultTrialCounts, requireTuningMethod, type TuningMethod } from './sampler-registry.ts';
import { normalizeSpace, type SearchSpace } from './search-space.ts';
import { type OpenedRun, openSession, type TuningInput } from './session-setup.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import { INTERRUPTED, type StopReason, type TuningProgress, type TuningSession } from './tuning-session.ts';
import type {
  FidelityRung,
  RunConfig,
  Trial,
  TuningDataSelection,
  TuningRun,
  TuningStorage,
} from './tuning-storage.ts';

export { bestHpOf } from './best-hp.ts';
export { defaultTrialParams } from './default-spaces.ts';
export { INTERRUPTED, type TuningProgress };

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
  /** Seeds folds, sampler and fits; default: derived from the run id, so each run differs. */
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
  /** Where runs and trials are stored (default: the SQL storage on the database). */
  readonly storage?: TuningStorage;
  /** The sampler (default: the method's, from `createSampler`). */
  readonly sampler?: Sampler;
  /**
   * Run the trials as jobs on this queue, taken by `movienight worker` processes; `workers` is then
   * how many trials are queued at once. The sampler, and every write, stay in this process.
   */
  readonly queue?: JobQueue;
  /**
   * Bayesian only: rank candidates by expected improvement per second of trial time, so that a
   * large, slow configuration must promise proportionally more (default false).
   */
  readonly costAware?: boolean;
  /** This run is one rung of multi-fidelity tuning (its trials record the rung's share). */
  readonly fidelity?: FidelityRung;
  /**
   * Which rows of the database `data` is, stored with the run: with a queue, a worker loads the
   * same rows for the run's trials. Needed when `data` is not every rating and a queue is set.
   */
  readonly dataSelection?: TuningDataSelection;
}

export interface TuningResult {
  readonly run: TuningRun;
  readonly trials: readonly Trial[];
  readonly best: Trial | null;
  /** Trials copied from earlier runs' measurements, per earlier run. */
  readonly reused: ReadonlyArray<{ readonly fromRun: string; readonly trials: number }>;
  /** The best_hp.json object of this run's best (whether or not it was written). */
  readonly bestHp: BestHp | null;
  /** Where best_hp.json was written, when this run found a new best; null otherwise. */
  readonly bestHpWritten: string | null;
}

/** A seed for a run that was given none: derived from its id, so every run explores differently. */
export function seedFromRunId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

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

function requireWhole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new InvalidInputError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  return value;
}

/**
 * Runs (or resumes) a tuning run: asks the sampler for configurations, evaluates them by k-fold
 * cross-validation in worker threads, and stores every trial as it starts and ends. The calling
 * thread is the only database writer. Killed at any moment, the database holds every finished
 * trial; `resume` marks the in-flight ones failed and retries them under new numbers. The storage
 * and the sampler are inputs (default: the SQL storage on `db`, the method's sampler).
 */
export async function runTuning(db: Database, options: RunTuningOptions = {}): Promise<TuningResult> {
  const storage = options.storage ?? new SqlTuningStorage(db);
  const workers = requireWhole('workers', options.workers ?? availableParallelism(), options.queue ? 1 : 0);
  const bestOut = bestHpTarget(db.location, options.bestOut);
  const input = await loadInput(db, options);
  const owner = ownerId();
  const opened = options.resume
    ? await resumeRun(storage, options.resume, input, owner, options.staleAfterMs ?? 120_000)
    : await createRun(storage, options, input, owner, bestOut, db.location);
  options.onRunCreated?.(opened.run);
  const session = await openSession(storage, opened, input, owner, workers, options);
  let stop: Awaited<ReturnType<TuningSession['execute']>>;
  try {
    stop = await session.execute();
  } catch (error) {
    // A storage or programming error: leave the run resumable (failed, not "running" under a
    // live owner, which no other process could take over until the heartbeat went stale).
    await storage
      .failRunningTrials(session.run.id, `${INTERRUPTED} ${(error as Error).message}`, Date.now())
      .catch(() => {});
    await storage.finishRun(session.run.id, 'failed', Date.now(), (error as Error).message).catch(() => {});
    throw error;
  }
  return finishRun(storage, session, stop, bestOut, db.location);
}

/** The ratings and catalogue to tune on: the given ones, else the database's. */
async function loadInput(db: Database, options: RunTuningOptions): Promise<TuningInput> {
  const movies = options.movies ?? (options.data ? undefined : await loadMovies(db));
  const data = options.data ?? (await loadRatingsData(db));
  return { data, movies, fingerprint: ratingsFingerprint(data) };
}

async function resumeRun(
  storage: TuningStorage,
  id: string,
  input: TuningInput,
  owner: string,
  staleAfterMs: number,
): Promise<OpenedRun> {
  const found = await storage.getRun(id);
  if (!found) throw new NotFoundError(`no tuning run ${id} (see \`movienight tune review\`)`);
  if (found.status === 'complete') throw new ConflictError(`tuning run ${found.id} is already complete`);
  if (found.dataFingerprint !== input.fingerprint) {
    throw new InvalidInputError(
      `tuning run ${found.id} was on data ${found.dataFingerprint}, but the ratings are now ${input.fingerprint}; start a new run`,
    );
  }
  const now = Date.now();
  if (!(await storage.claimRun(found.id, owner, now, now - staleAfterMs, ownerIsDead(found.owner)))) {
    throw new ConflictError(
      `tuning run ${found.id} is being worked on by ${found.owner} (heartbeat ${new Date(found.heartbeatAt ?? 0).toISOString()}); wait, or resume after it stops`,
    );
  }
  await storage.failRunningTrials(
    found.id,
    `${INTERRUPTED} the process running it (${found.owner}) stopped`,
    now,
  );
  const run = await storage.getRun(found.id);
  if (!run) throw new NotFoundError(`no tuning run ${id}`);
  return { run, method: requireTuningMethod(run.method), space: run.config.space as SearchSpace };
}

/** Whether a new run ranks by expected improvement per second; only the bayesian method can. */
function costAwareFor(method: TuningMethod, costAware: boolean | undefined): boolean {
  if (costAware && method !== 'bayesian')
    throw new InvalidInputError(`cost-aware sampling is for the bayesian method only, got ${method}`);
  return costAware ?? false;
}

async function createRun(
  storage: TuningStorage,
  options: RunTuningOptions,
  input: TuningInput,
  owner: string,
  bestOut: string | null,
  location: string,
): Promise<OpenedRun> {
  const method = requireTuningMethod(options.method ?? 'random');
  const model = options.model ?? 'svd';
  const objective = requireObjective(options.objective ?? 'accuracy');
  const folds = requireWhole('folds', options.folds ?? 3, 2);
  const seed = options.seed === undefined ? undefined : requireWhole('seed', options.seed, 0);
  const space = normalizeSpace(options.space ?? defaultSearchSpace(model));
  const gridPoints =
    method === 'grid'
      ? await gridPointsFor(storage, space, options.center, {
          model,
          fingerprint: input.fingerprint,
          objective,
          bestOut,
          location,
        })
      : undefined;
  const planned = requireWhole(
    'trials',
    options.trials ?? gridPoints?.length ?? defaultTrialCounts[method],
    1,
  );
  const config: RunConfig = {
    seed: seed ?? 0,
    folds,
    space,
    ...(gridPoints ? { gridPoints } : {}),
    pruner: prunerOf(options.prune),
    baseline: null,
    warmStartFrom: options.warmStartFrom ?? null,
    ...(seed === undefined ? { seedFromRunId: true } : {}),
    ...(options.fidelity ? { fidelity: options.fidelity } : {}),
    ...(options.dataSelection ? { data: options.dataSelection } : {}),
    ...(costAwareFor(method, options.costAware) ? { costAware: true } : {}),
  };
  const created = await storage.createRun({
    method,
    model,
    objective,
    direction: objectiveDirection(objective),
    dataFingerprint: input.fingerprint,
    trialsPlanned: gridPoints ? Math.min(planned, gridPoints.length) : planned,
    config,
    owner,
    now: Date.now(),
  });
  if (seed !== undefined) return { run: created, method, space };
  // No seed given: derive it from the run id, so a second run does not repeat the first.
  const seeded: RunConfig = { ...config, seed: seedFromRunId(created.id) };
  await storage.updateRunConfig(created.id, seeded);
  return { run: { ...created, config: seeded }, method, space };
}

function prunerOf(prune: RunTuningOptions['prune']): RunConfig['pruner'] {
  const p = prune ?? true;
  if (!p) return null;
  return {
    startupTrials: (typeof p === 'object' && p.startupTrials) || 5,
    warmupSteps: (typeof p === 'object' && p.warmupSteps) || 3,
  };
}

/** Closes the run with its final status, and writes best_hp.json when this run found a new best. */
async function finishRun(
  storage: TuningStorage,
  session: TuningSession,
  stop: { reason: StopReason; failure: string | null },
  bestOut: string | null,
  location: string,
): Promise<TuningResult> {
  const id = session.run.id;
  if (stop.reason !== 'complete')
    await storage.failRunningTrials(id, `${INTERRUPTED} the run was stopped`, Date.now());
  const short = stop.reason === 'complete' && session.doneCount() < session.run.trialsPlanned;
  const status = short && !session.run.config.gridPoints ? 'failed' : stop.reason;
  if (!session.ownershipLost) await storage.finishRun(id, status, Date.now(), stop.failure);
  const run = await storage.getRun(id);
  if (!run) throw new NotFoundError(`no tuning run ${id}`);
  const trials = await storage.listTrials(id);
  const best =
    run.bestTrialNumber === null ? null : (trials.find((t) => t.number === run.bestTrialNumber) ?? null);
  const bestHp = best ? bestHpOf(run, best, location) : null;
  let bestHpWritten: string | null = null;
  if (bestHp && bestOut !== null && isNewBest(bestHp, readBestHpIfSound(bestOut))) {
    writeBestHp(bestOut, bestHp);
    bestHpWritten = bestOut;
  }
  return { run, trials, best, bestHp, bestHpWritten, reused: summariseReuse(run) };
}

/** "reused 3 trials from run X": how many trials each earlier run supplied. */
function summariseReuse(
  run: TuningRun,
): ReadonlyArray<{ readonly fromRun: string; readonly trials: number }> {
  const counts = new Map<string, number>();
  for (const r of run.config.reused ?? []) counts.set(r.fromRun, (counts.get(r.fromRun) ?? 0) + 1);
  return [...counts].map(([fromRun, trials]) => ({ fromRun, trials }));
}
