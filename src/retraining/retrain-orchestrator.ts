import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import { championVersion } from '../registry/champion.ts';
import { acquireRetrainLock, releaseRetrainLock } from './retrain-lock.ts';
import type { RetrainOptions, RetrainResult, RetrainRunOptions, RetrainSettings } from './retrain-options.ts';
import { registeredEarlier, resumeAtDeploy } from './retrain-resume.ts';
import { type Progress, type RetrainContext, refuseIfBlocked, retrainSteps } from './retrain-steps.ts';
import { SqlRetrainStore } from './retrain-store.ts';
import {
  abandonTrigger,
  endStep,
  finishTrigger,
  getTrigger,
  listSteps,
  openTrigger,
  type RetrainTrigger,
  requestRetrain,
  startTrigger,
} from './retrain-triggers.ts';

export type {
  ParamsSource,
  RetrainOptions,
  RetrainResult,
  RetrainRunOptions,
  RetrainSettings,
  RetrainStepName,
} from './retrain-options.ts';
export { refuseIfBlocked };

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
  const { clock: _c, holder: _h, onStep: _o, triggerId: _t, queue: _q, source, reason, ...stored } = options;
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
 * The retrain orchestrator. Before anything expensive it checks what
 * would stop the deploy (the lock, a running A/B test) and refuses with the reason. Steps, each
 * recorded in retrain_steps: data (all ratings or the window; unexpected movies unless excluded)
 * → tune (optional, warm-started) → fit on all but the most recent ratings → compare with the
 * champion on the ratings neither has seen (those after the champion's data ended) → final fit on
 * everything → register the version (only once the deploy is checked to be possible) → deploy (no
 * champion: activate; --activate-if-better with a fair comparison: activate when the relative
 * accuracy gain reaches autoActivateThreshold; otherwise start an A/B test).
 *
 * Crash safety: nothing serving-visible changes before `register`, and registering a version does
 * not change what is served; only `deploy` moves the champion (in the registry's transaction). A
 * deploy that fails marks the new version discarded, so no list meant for choosing offers it. A
 * run killed anywhere leaves the champion as it was, the trigger `running` with a stale heartbeat
 * and the lock held by a dead holder; the next run takes both over once staleAfterSeconds passed.
 * A new trigger abandons the dead one; the same trigger run again (a queue's job taken again after
 * its worker died) starts over from its first step, or, when the dead attempt had already
 * registered its version, only deploys that version (one trigger never registers two).
 */
export async function runRetrain(
  db: Database,
  config: RetrainSettings,
  options: RetrainRunOptions = {},
): Promise<RetrainResult> {
  const clock = options.clock ?? Date.now;
  const holder = options.holder ?? defaultHolder();
  if (options.triggerId === undefined) await refuseIfBlocked(db, config, clock());
  const trigger = await triggerToRun(db, config, options, clock());
  const opts: RetrainOptions = { ...(trigger.options as RetrainOptions), ...stripRunOnly(options) };
  // A trigger already `running` was started by an attempt that died (its lock went stale).
  const retaken = trigger.status === 'running';
  const takenOverFrom = await takeLock(db, config, trigger.id, holder, clock);
  await startTrigger(db, trigger.id, holder, clock());
  const championBefore = await championVersion(db);
  const ctx: RetrainContext = {
    db,
    config,
    opts,
    triggerId: trigger.id,
    holder,
    clock,
    onStep: options.onStep,
    progress: emptyProgress(),
    queue: options.queue ?? null,
    current: null,
  };
  const done = (status: RetrainResult['status'], outcome: string, error: string | null) =>
    resultOf(ctx, { status, outcome, error, championBefore, takenOverFrom });
  try {
    const earlier = retaken ? await registeredEarlier(ctx) : null;
    const outcome = earlier ? await resumeAtDeploy(ctx, earlier) : await retrainSteps(ctx);
    await finishTrigger(db, trigger.id, { status: 'succeeded', outcome, ...versionAndTest(ctx) }, clock());
    return await done('succeeded', outcome, null);
  } catch (error) {
    const outcome = await recordFailure(ctx, (error as Error).message, championBefore);
    return await done('failed', outcome, (error as Error).message);
  } finally {
    await releaseRetrainLock(db, holder);
  }
}

function emptyProgress(): Progress {
  return {
    model: null,
    params: null,
    paramsSource: null,
    trainRows: 0,
    comparison: null,
    newVersion: null,
    deploy: null,
  };
}

function versionAndTest(ctx: RetrainContext): { newVersion: number | null; abTestId: number | null } {
  return { newVersion: ctx.progress.newVersion, abTestId: ctx.progress.deploy?.abTestId ?? null };
}

async function resultOf(
  ctx: RetrainContext,
  end: {
    status: RetrainResult['status'];
    outcome: string;
    error: string | null;
    championBefore: number | null;
    takenOverFrom: string | null;
  },
): Promise<RetrainResult> {
  const p = ctx.progress;
  return {
    triggerId: ctx.triggerId,
    status: end.status,
    outcome: end.outcome,
    championBefore: end.championBefore,
    newVersion: p.newVersion,
    model: p.model,
    params: p.params,
    paramsSource: p.paramsSource,
    trainRows: p.trainRows,
    comparison: p.comparison,
    deploy: p.deploy,
    tookOverFrom: end.takenOverFrom,
    steps: await listSteps(ctx.db, ctx.triggerId),
    error: end.error,
  };
}

/** Closes the failed step and the trigger; a version registered by this run is discarded. */
async function recordFailure(
  ctx: RetrainContext,
  message: string,
  championBefore: number | null,
): Promise<string> {
  const { db, clock, triggerId } = ctx;
  const failedStep = ctx.current;
  if (failedStep) await endStep(db, triggerId, failedStep, 'failed', { error: message }, clock());
  const v = ctx.progress.newVersion;
  const discarded = v !== null && ctx.progress.deploy === null && (await discardRegistered(db, v));
  const champion = championBefore === null ? 'none' : `v${championBefore}`;
  const where = failedStep ? ` in step ${failedStep}` : '';
  const outcome = `failed${where}: ${message}; champion ${champion} still serving${discarded ? `; v${v} marked discarded` : ''}`;
  await finishTrigger(
    db,
    triggerId,
    { status: 'failed', outcome, ...versionAndTest(ctx), error: message },
    clock(),
  );
  return outcome;
}

async function discardRegistered(db: Database, version: number): Promise<boolean> {
  return new SqlRetrainStore(db).discardVersion(version);
}

/** Takes the retrain lock (abandoning the trigger of a stale holder it takes over from). */
async function takeLock(
  db: Database,
  config: RetrainSettings,
  triggerId: number,
  holder: string,
  clock: () => number,
): Promise<string | null> {
  const lock = await acquireRetrainLock(db, holder, triggerId, clock(), config.staleAfterSeconds * 1000);
  if (!lock.acquired) {
    throw new ConflictError(
      `another retrain is running (holder ${lock.holder}, trigger #${lock.triggerId ?? '?'}, heartbeat ${new Date(lock.heartbeatAt ?? 0).toISOString()})`,
    );
  }
  const previous = lock.takenOverFrom;
  if (previous?.triggerId != null && previous.triggerId !== triggerId) {
    await abandonTrigger(
      db,
      previous.triggerId,
      `abandoned: holder ${previous.holder} stopped heartbeating`,
      clock(),
    );
  }
  return previous?.holder ?? null;
}

function stripRunOnly(o: RetrainRunOptions): RetrainOptions {
  const { clock: _c, holder: _h, onStep: _o, triggerId: _t, queue: _q, source: _s, reason: _r, ...rest } = o;
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
