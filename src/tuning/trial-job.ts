import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import { defineJobKind } from '../queue/job-kind.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import { type TrialResult, type TrialTask, trialSetupOf } from './trial-evaluation.ts';
import { createTrialPool, type TrialPool } from './trial-pool.ts';
import type { TuningRun } from './tuning-storage.ts';

/** One trial of a run, as a job: the run's id (its data, folds and seed are in the database) and the trial. */
export interface TrialJobPayload {
  readonly runId: string;
  readonly task: TrialTask;
}

/**
 * The worker side of a queued trial. The first trial of a run loads the ratings, checks they are
 * the run's (same fingerprint), cuts the run's folds and starts a pool of worker threads; later
 * trials of the run reuse them. The trial runs in a thread so this process's event loop stays free
 * to renew the job's lock. The result goes back to the process running the run, which records it:
 * a job taken again after its worker died is still recorded once.
 */
export const tuningTrialJob = defineJobKind<TrialJobPayload, TrialResult>({
  name: 'tuning-trial',
  lane: 'trials',
  async run(payload, context) {
    const pool = await poolFor(context.db, payload.runId, context.concurrency);
    return pool.run(await withFreshCurves(context.db, payload));
  },
});

/**
 * The median pruner compares a trial with the curves of the run's complete trials. The
 * coordinator took them when it queued the trial; by the time a worker starts it, trials queued
 * before it may have completed. Read again here, they give the pruner what the run knows now:
 * otherwise the more trials are in flight (the more workers), the less it prunes, and the scale-out
 * bench measured 2 worker processes finishing 3 more of 50 trials than 1 (each a full 3-fold fit
 * instead of a first-fold stop), spending more CPU per trial exactly where there are more cores.
 */
export async function withFreshCurves(db: Database, payload: TrialJobPayload): Promise<TrialTask> {
  const { task } = payload;
  if (!task.prune) return task;
  const trials = await new SqlTuningStorage(db).listTrials(payload.runId);
  const completed = trials.filter((t) => t.state === 'complete').map((t) => t.intermediateValues);
  if (completed.length <= task.prune.completed.length) return task;
  return { ...task, prune: { ...task.prune, completed } };
}

/** The pools of the runs this worker process has trials of, newest last. */
const pools = new Map<string, Promise<TrialPool>>();
const keptPools = 2;

function poolFor(db: Database, runId: string, size: number): Promise<TrialPool> {
  let pool = pools.get(runId);
  if (!pool) {
    pool = openPool(db, runId, size);
    pool.catch(() => pools.delete(runId));
    pools.set(runId, pool);
    while (pools.size > keptPools) {
      const [oldest, old] = pools.entries().next().value!;
      pools.delete(oldest);
      void old.then((p) => p.close()).catch(() => undefined);
    }
  }
  return pool;
}

async function openPool(db: Database, runId: string, size: number): Promise<TrialPool> {
  const run = await new SqlTuningStorage(db).getRun(runId);
  if (!run) throw new NotFoundError(`no tuning run ${runId} in the worker's database`);
  const data = await loadRunData(db, run);
  const fingerprint = ratingsFingerprint(data);
  if (fingerprint !== run.dataFingerprint)
    throw new Error(
      `tuning run ${runId} tunes on data ${run.dataFingerprint}, but this worker's database holds ${fingerprint} for it: the ratings it tunes on changed after the run started`,
    );
  const movies = await loadMovies(db);
  return createTrialPool(trialSetupOf(run, { data, movies, fingerprint }), size);
}

/**
 * The ratings a run tunes on: the rows its data selection names (a retrain tunes on the part of
 * the ratings before its holdout), else every rating. The selection's scale is the run's: a part
 * of half-star ratings that happens to hold only whole stars is still on the half-star scale.
 */
async function loadRunData(db: Database, run: TuningRun): Promise<RatingsData> {
  const selection = run.config.data;
  if (!selection) return loadRatingsData(db);
  const data = await loadRatingsData(db, {
    ...(selection.since === null ? {} : { since: selection.since }),
    ...(selection.until === null ? {} : { until: selection.until }),
    includeUnexpected: selection.includeUnexpected,
  });
  return { ...data, scale: selection.scale };
}

/** Stops the trial threads of this process (worker shutdown). */
export async function closeTrialPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((p) => p.then((pool) => pool.close()).catch(() => undefined)));
}
