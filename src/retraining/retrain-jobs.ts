import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import { defineJobKind, type JobContext } from '../queue/job-kind.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { retrainLockState } from './retrain-lock.ts';
import type { RetrainResult, RetrainRunOptions } from './retrain-options.ts';
import { type AbDecisionSummary, decideRunningAbTest } from './retrain-registry.ts';
import { refuseIfBlocked } from './retrain-steps.ts';
import { getTrigger, listSteps, openTrigger, requestRetrain } from './retrain-triggers.ts';
import { type RevalidationOutcome, revalidate } from './revalidate.ts';
import { retrainInWorker } from './scheduler.ts';

/** The steps a retrain records, for its progress (tune is skipped unless asked for). */
const stepCount = 7;

/**
 * A retrain trigger, run by whichever worker takes the job. It trains in a worker thread (this
 * thread keeps the job's lock and the retrain lock fresh) and reports the steps recorded so far as
 * the job's progress. One retrain at a time across all workers: the retrain lock refuses a second.
 */
export const retrainJob = defineJobKind<{ readonly triggerId: number }, RetrainResult>({
  name: 'retrain',
  lane: 'jobs',
  async run({ triggerId }, context) {
    const report = async () => {
      const steps = await listSteps(context.db, triggerId);
      const current = steps[steps.length - 1];
      await context.progress({
        triggerId,
        step: current?.step ?? 'starting',
        percent: Math.min(99, Math.round((100 * steps.length) / stepCount)),
      });
    };
    let reporting: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      reporting = reporting.then(report).catch(() => undefined);
    }, 1000);
    try {
      await awaitStaleHolder(context.db, context.config, triggerId);
      return await retrainInWorker(
        context.db,
        context.location,
        context.config,
        triggerId,
        context.holder,
        context.queue.settings,
      );
    } finally {
      clearInterval(timer);
      // The last word is "done": no step report may land after it.
      await reporting;
      await context.progress({ triggerId, step: 'done', percent: 100 });
    }
  },
});

/**
 * A retrain job taken again after its worker stopped renewing the job's lock (killed, or its
 * machine gone) finds its trigger `running` and the retrain lock held under the old worker's
 * heartbeat. The retrain lock is only taken over once that heartbeat is staleAfterSeconds old (a
 * worker cut off from the queue may still be training), so this waits, polling, until the holder
 * is stale or gone; the retrain then takes the lock over and runs the trigger again from its first
 * step. A holder that keeps heartbeating for twice staleAfterSeconds is alive: the wait ends and
 * the lock refuses the second run, which fails as a conflict.
 */
async function awaitStaleHolder(db: Database, config: Config, triggerId: number): Promise<void> {
  const staleMs = config.staleAfterSeconds * 1000;
  const giveUpAt = Date.now() + 2 * staleMs;
  for (;;) {
    const trigger = await getTrigger(db, triggerId);
    if (trigger?.status !== 'running') return;
    const lock = await retrainLockState(db);
    const now = Date.now();
    if (lock.holder === null || lock.triggerId !== triggerId) return;
    if ((lock.heartbeatAt ?? 0) < now - staleMs || now > giveUpAt) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, staleMs / 4)));
  }
}

/**
 * Enqueues the pending trigger's retrain, if there is one. The job id is the trigger's, so any
 * number of replicas and schedulers enqueueing it give one job.
 */
export async function enqueuePendingRetrain(db: Database, queue: JobQueue): Promise<number | null> {
  const open = await openTrigger(db);
  if (open?.status !== 'pending') return null;
  await queue.add(retrainJob, { triggerId: open.id }, { jobId: `retrain-${open.id}` });
  return open.id;
}

/** `retrain` with a queue: files a manual trigger here, then a worker runs it; resolves with its result. */
export async function retrainOnQueue(
  db: Database,
  config: Config,
  queue: JobQueue,
  options: RetrainRunOptions,
): Promise<RetrainResult> {
  const now = Date.now();
  await refuseIfBlocked(db, config, now);
  // What runs where is this process's business; the trigger keeps only the retrain's options.
  const {
    reason,
    onStep: _o,
    clock: _c,
    holder: _h,
    triggerId: _t,
    source: _s,
    queue: _q,
    ...stored
  } = options;
  const decision = await requestRetrain(
    db,
    { source: 'manual', reason: reason ?? 'requested by hand', options: stored as Record<string, unknown> },
    config,
    now,
  );
  if (!decision.created) throw new ConflictError(`cannot retrain now: ${decision.blocked}`);
  const id = decision.trigger.id;
  return queue.run(retrainJob, { triggerId: id }, { jobId: `retrain-${id}` });
}

/** The revalidation check as a scheduled job: it may file a trigger, whose retrain it enqueues. */
export const revalidationJob = defineJobKind<Record<string, never>, RevalidationOutcome>({
  name: 'revalidation-check',
  lane: 'jobs',
  async run(_payload, context: JobContext) {
    const outcome = await revalidate(context.db, context.config, { now: Date.now() });
    await enqueuePendingRetrain(context.db, context.queue);
    return outcome;
  },
});

/** The running A/B test's decision as a scheduled job (activate, discard, or keep collecting). */
export const abDecisionJob = defineJobKind<Record<string, never>, AbDecisionSummary | null>({
  name: 'ab-decision',
  lane: 'jobs',
  async run(_payload, context) {
    const decision = await decideRunningAbTest(context.db, Date.now());
    // A decided test frees the way for a trigger that was waiting for it.
    await enqueuePendingRetrain(context.db, context.queue);
    return decision;
  },
});

/**
 * The checks every schedulerIntervalSeconds, as BullMQ job schedulers: upserting is idempotent,
 * so every worker may call this and each check still runs once per interval.
 */
export async function scheduleChecks(queue: JobQueue, config: Config): Promise<void> {
  const every = config.schedulerIntervalSeconds * 1000;
  await queue.schedule('revalidation-check', revalidationJob, {}, every);
  await queue.schedule('ab-decision', abDecisionJob, {}, every);
}

/** Every kind of job the retraining module runs. */
export const retrainingJobKinds = [retrainJob, revalidationJob, abDecisionJob] as const;
