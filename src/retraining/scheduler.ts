import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { errorFromKind } from '../errors.ts';
import type { JobQueueOptions } from '../queue/job-queue.ts';
import { pruneServedRecommendations, type ServedPruning } from '../recommend/served-retention.ts';
import { runInWorker } from '../threads/worker-thread.ts';
import { heartbeatRetrainLock } from './retrain-lock.ts';
import { defaultHolder, type RetrainResult, runRetrain } from './retrain-orchestrator.ts';
import { type AbDecisionSummary, decideRunningAbTest } from './retrain-registry.ts';
import { openTrigger } from './retrain-triggers.ts';
import type { RetrainWorkerReply, RetrainWorkerRequest } from './retrain-worker.ts';
import { type RevalidationOutcome, revalidate } from './revalidate.ts';

/** What one pass of the scheduler did. Plain data: the worker logs it, the simulation prints it. */
export interface SchedulerTick {
  readonly at: number;
  readonly check: RevalidationOutcome;
  readonly abTest: AbDecisionSummary | null;
  readonly retrain: RetrainResult | null;
  /** A retrain that failed to start or crashed its thread (the trigger records the rest). */
  readonly error: string | null;
  /** The served rows pruned past their retention (null: pruning failed; the next tick retries). */
  readonly pruned: ServedPruning | null;
}

export interface SchedulerOptions {
  readonly config: Config;
  /**
   * Where the database is (path or URL with password), for the training thread's own connection.
   * Without it training runs in this thread (fine for the CLI and simulations, not for a server).
   */
  readonly location?: string;
  readonly clock?: () => number;
  readonly holder?: string;
  /** Receives every tick (logging). */
  readonly onTick?: (tick: SchedulerTick) => void;
}

/**
 * One pass of the loop: let the running A/B test decide (decideAbTest: activate the challenger,
 * discard it, or keep collecting), revalidate the champion (which may record a trigger), run a
 * pending retrain, then prune served rows past their retention. The order matters: a decided A/B
 * test frees the way for the next trigger, so a champion activated in this pass is checked (and,
 * during a recovery, retrained from) at once; a trigger recorded in this pass is run in this pass;
 * and pruning runs after the A/B decision (a test that just ended no longer holds its rows; one
 * still running keeps them).
 */
export async function schedulerTick(db: Database, options: SchedulerOptions): Promise<SchedulerTick> {
  const clock = options.clock ?? Date.now;
  const { config } = options;
  const abTest = await decideRunningAbTest(db, clock());
  const check = await revalidate(db, config, { now: clock() });
  let retrain: RetrainResult | null = null;
  let error: string | null = null;
  const open = await openTrigger(db);
  if (open?.status === 'pending') {
    const holder = options.holder ?? defaultHolder();
    try {
      if (options.location === undefined) {
        retrain = await runRetrain(db, config, { triggerId: open.id, holder, clock });
      } else {
        retrain = await retrainInWorker(db, options.location, config, open.id, holder);
      }
    } catch (e) {
      error = (e as Error).message;
    }
  }
  const pruned = await pruneServedRecommendations(db, config, clock()).catch((e: Error) => {
    error ??= `pruning served rows failed: ${e.message}`;
    return null;
  });
  const tick = { at: clock(), check, abTest, retrain, error, pruned };
  options.onTick?.(tick);
  return tick;
}

/**
 * Trains in a worker thread (exported for the queue's retrain job); meanwhile this thread keeps the lock's heartbeat fresh (the worker's
 * fit is one long synchronous computation that cannot heartbeat by itself).
 */
export async function retrainInWorker(
  db: Database,
  location: string,
  config: Config,
  triggerId: number,
  holder: string,
  queue?: JobQueueOptions,
): Promise<RetrainResult> {
  const beat = setInterval(
    () => void heartbeatRetrainLock(db, holder, Date.now()).catch(() => undefined),
    Math.max(1000, (config.staleAfterSeconds * 1000) / 4),
  );
  try {
    const reply = await runInWorker<RetrainWorkerRequest, RetrainWorkerReply>(
      new URL('./retrain-worker.ts', import.meta.url),
      { location, config, triggerId, holder, ...(queue ? { queue } : {}) },
      { name: `retrain-${triggerId}` },
    );
    if (!reply.ok) throw errorFromKind(reply.error);
    return reply.result;
  } finally {
    clearInterval(beat);
  }
}

export interface RunningScheduler {
  /** Resolves once the current tick (if any) has finished; no tick starts after. */
  stop(): Promise<void>;
}

/**
 * Runs `schedulerTick` every schedulerIntervalSeconds until stopped: what `movienight worker` runs,
 * and what the server starts beside itself. Ticks never overlap; an error in one tick is reported
 * through onTick's `error` or `onError` and the loop goes on.
 */
export function startScheduler(
  db: Database,
  options: SchedulerOptions & { readonly onError?: (error: Error) => void },
): RunningScheduler {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = schedulerTick(db, options)
      .then(() => undefined)
      .catch((e: Error) => options.onError?.(e))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.config.schedulerIntervalSeconds * 1000);
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
