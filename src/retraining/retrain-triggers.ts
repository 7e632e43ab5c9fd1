import type { Config } from '../config.ts';
import type { Database, Queryable } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import { stopAbTest } from '../experiments/ab-tests.ts';
import { type RetrainStore, SqlRetrainStore, type TriggerRecord } from './retrain-store.ts';

/** Where a trigger came from. `auto` ones obey the cooldown; `manual` ones (CLI, API) do not. */
export type TriggerSource = 'auto' | 'manual';

/** pending → running → succeeded | failed; `abandoned` when its process died mid-way. */
export type TriggerStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'abandoned';

export interface RetrainTrigger {
  readonly id: number;
  readonly source: TriggerSource;
  readonly reason: string;
  readonly numbers: Readonly<Record<string, number | null>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly status: TriggerStatus;
  readonly outcome: string | null;
  readonly holder: string | null;
  readonly newVersion: number | null;
  readonly abTestId: number | null;
  readonly error: string | null;
  readonly triggeredAt: number;
  readonly startedAt: number | null;
  readonly heartbeatAt: number | null;
  readonly endedAt: number | null;
}

export interface TriggerRequest {
  readonly source: TriggerSource;
  readonly reason: string;
  readonly numbers?: Readonly<Record<string, number | null>>;
  /** Retrain options to run it with (JSON). */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * The revalidation rule behind an automatic trigger. `drift` and `recovery` (a fall of the
   * champion, and the way back to its level before it) follow the recovery policy of `autoBlock`.
   */
  readonly rule?: 'threshold' | 'drift' | 'recovery';
}

export type TriggerDecision =
  | {
      readonly created: true;
      readonly trigger: RetrainTrigger;
      /** The A/B test this trigger stopped to make way for it (recovery policy), or null. */
      readonly preemptedAbTest: number | null;
    }
  | { readonly created: false; readonly blocked: string; readonly openTrigger: RetrainTrigger | null };

function parseTrigger(r: TriggerRecord): RetrainTrigger {
  return Object.freeze({
    ...r,
    source: r.source as TriggerSource,
    numbers: JSON.parse(r.numbers) as Record<string, number | null>,
    options: JSON.parse(r.options) as Record<string, unknown>,
    status: r.status as TriggerStatus,
  });
}

const store = (db: Queryable): RetrainStore => new SqlRetrainStore(db);

export async function getTrigger(db: Queryable, id: number): Promise<RetrainTrigger | undefined> {
  const row = await store(db).getTrigger(id);
  return row ? parseTrigger(row) : undefined;
}

/** The most recent triggers, newest first. */
export async function listTriggers(db: Queryable, limit = 20): Promise<RetrainTrigger[]> {
  return (await store(db).listTriggers(limit)).map(parseTrigger);
}

/** The oldest trigger still pending or running, if any. */
export async function openTrigger(db: Queryable): Promise<RetrainTrigger | undefined> {
  const row = await store(db).openTrigger();
  return row ? parseTrigger(row) : undefined;
}

/** Marks a running trigger whose process stopped heartbeating as abandoned (and its open step). */
export async function abandonTrigger(tx: Queryable, id: number, why: string, now: number): Promise<void> {
  await store(tx).abandonTrigger(id, why, now);
}

/** The cooldown doubles after each automatic retrain that did not beat the champion, up to this. */
export const maxCooldownFactor = 8;

/**
 * The cooldown in force: `retrainCooldownHours`, doubled for every automatic retrain in a row
 * (newest first) whose version never became champion, up to `maxCooldownFactor` times; one that
 * did resets it. A loop of retrains that keep losing to the champion thus slows down instead of
 * spinning at the base rate.
 */
export async function currentCooldown(
  db: Queryable,
  baseHours: number,
): Promise<{ readonly hours: number; readonly losingRetrains: number; readonly lastAutoAt: number | null }> {
  const recent = await store(db).recentAutoTriggers(4);
  let losing = 0;
  for (const t of recent) {
    if (t.activated || t.status === 'pending' || t.status === 'running') break;
    losing++;
  }
  const factor = Math.min(maxCooldownFactor, 2 ** losing);
  return { hours: baseHours * factor, losingRetrains: losing, lastAutoAt: recent[0]?.triggeredAt ?? null };
}

/**
 * Records a request to retrain, unless one must not start now. One write transaction (with the
 * retrain lock row locked against other writers) serialises all requesters, so two processes that
 * find accuracy low at the same moment create exactly one trigger: the second sees the first's
 * pending trigger. Blocked when: a trigger is already pending or running (a running one whose
 * heartbeat is stale is marked abandoned first, so a crash never blocks retraining forever); for
 * automatic triggers also within the cooldown of the last automatic trigger (one that did not die
 * with its process; the cooldown grows after retrains that did not beat the champion, see
 * `currentCooldown`), or while an A/B test is still deciding on an earlier retrain's challenger.
 */
export async function requestRetrain(
  db: Database,
  request: TriggerRequest,
  config: Pick<Config, 'retrainCooldownHours' | 'staleAfterSeconds'>,
  now: number,
): Promise<TriggerDecision> {
  const decision = await db.transaction(async (tx): Promise<TriggerDecision> => {
    const s = store(tx);
    await s.readLock(true);
    const open = await openAfterStaleCheck(tx, now, config.staleAfterSeconds * 1000);
    if (open)
      return { created: false, blocked: `retrain #${open.id} is already ${open.status}`, openTrigger: open };
    let preempt: number | null = null;
    if (request.source === 'auto') {
      const auto = await autoBlock(tx, config.retrainCooldownHours, now, request.rule);
      if (auto.blocked) return { created: false, blocked: auto.blocked, openTrigger: null };
      preempt = auto.preempt;
    }
    const numbers =
      preempt === null ? (request.numbers ?? {}) : { ...request.numbers, preemptedAbTest: preempt };
    const row = await s.insertTrigger({
      source: request.source,
      reason: request.reason,
      numbers: JSON.stringify(numbers),
      options: JSON.stringify(request.options ?? {}),
      now,
    });
    return { created: true, trigger: parseTrigger(row), preemptedAbTest: preempt };
  });
  if (decision.created && decision.preemptedAbTest !== null) await stopPreempted(db, decision, now);
  return decision;
}

/**
 * Stops the A/B test a recovery trigger preempts (after the trigger committed, so that no other
 * retrain slips in between). The champion stays; the challenger keeps its status and is simply no
 * longer tested. A test that ended meanwhile needs nothing.
 */
async function stopPreempted(
  db: Database,
  decision: { readonly trigger: RetrainTrigger; readonly preemptedAbTest: number | null },
  now: number,
): Promise<void> {
  const reason = `preempted by retrain #${decision.trigger.id}: ${decision.trigger.reason}`;
  try {
    await stopAbTest(db, { reason, now, testId: decision.preemptedAbTest ?? -1 });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
}

/** The open trigger, after marking a running one whose heartbeat went stale as abandoned. */
async function openAfterStaleCheck(
  tx: Queryable,
  now: number,
  staleAfterMs: number,
): Promise<RetrainTrigger | undefined> {
  const open = await openTrigger(tx);
  if (open?.status !== 'running' || (open.heartbeatAt ?? open.startedAt ?? 0) >= now - staleAfterMs)
    return open;
  await abandonTrigger(
    tx,
    open.id,
    `abandoned: holder ${open.holder ?? '?'} stopped heartbeating (last ${new Date(open.heartbeatAt ?? 0).toISOString()})`,
    now,
  );
  return openTrigger(tx);
}

/**
 * Why an automatic trigger may not start now (cooldown, a deciding A/B test), or null; and the
 * running A/B test it may stop instead of waiting for it. The recovery policy, for triggers of the
 * drift and recovery rules (the champion fell, and is not back yet): a running A/B test holds them
 * up for at most `retrainCooldownHours` from its start, after which the trigger stops the test
 * and retrains at once (the test was its wait); and a recovery trigger right after a retrain whose
 * version became champion is not held by the cooldown (the loop is making progress; it stops at the
 * level before the fall and at the end of the recovery period). Everything else, and every trigger
 * after a losing retrain, waits for the cooldown, which grows after each losing one.
 */
async function autoBlock(
  tx: Queryable,
  baseHours: number,
  now: number,
  rule: TriggerRequest['rule'],
): Promise<{ readonly blocked: string | null; readonly preempt: number | null }> {
  const cooldown = await currentCooldown(tx, baseHours);
  const ab = await store(tx).runningAbTest();
  const recovering = rule === 'drift' || rule === 'recovery';
  const preempt = recovering && ab !== null && now - ab.startedAt >= baseHours * 3_600_000 ? ab.id : null;
  const waived = preempt !== null || (rule === 'recovery' && cooldown.losingRetrains === 0);
  const blocked = waived ? null : cooldownBlock(cooldown, now);
  if (blocked) return { blocked, preempt: null };
  if (ab === null || preempt !== null) return { blocked: null, preempt };
  const until = recovering
    ? ` (a ${rule} retrain waits for it until ${iso(ab.startedAt + baseHours * 3_600_000)})`
    : '';
  return { blocked: `A/B test #${ab.id} is still deciding${until}`, preempt: null };
}

const iso = (t: number) => new Date(t).toISOString();

/** The cooldown's refusal, or null when it has passed. */
function cooldownBlock(cooldown: Awaited<ReturnType<typeof currentCooldown>>, now: number): string | null {
  const cooldownMs = cooldown.hours * 3_600_000;
  if (cooldown.lastAutoAt !== null && cooldown.lastAutoAt > now - cooldownMs) {
    const grown =
      cooldown.losingRetrains > 0
        ? ` (${cooldown.hours} h: doubled for each of the last ${cooldown.losingRetrains} automatic retrains that did not beat the champion)`
        : '';
    return `cooldown${grown}: last automatic retrain at ${iso(cooldown.lastAutoAt)}, next allowed at ${iso(cooldown.lastAutoAt + cooldownMs)}`;
  }
  return null;
}

/** Moves a trigger to running under `holder`. */
export async function startTrigger(db: Queryable, id: number, holder: string, now: number): Promise<void> {
  await store(db).startTrigger(id, holder, now);
}

export async function heartbeatTrigger(db: Queryable, id: number, now: number): Promise<void> {
  await store(db).heartbeatTrigger(id, now);
}

/** Closes a trigger with its outcome. */
export async function finishTrigger(
  db: Queryable,
  id: number,
  result: {
    status: 'succeeded' | 'failed';
    outcome: string;
    newVersion?: number | null;
    abTestId?: number | null;
    error?: string | null;
  },
  now: number,
): Promise<void> {
  await store(db).finishTrigger(
    id,
    {
      status: result.status,
      outcome: result.outcome,
      newVersion: result.newVersion ?? null,
      abTestId: result.abTestId ?? null,
      error: result.error ?? null,
    },
    now,
  );
}

export interface RetrainStep {
  readonly step: string;
  readonly status: 'running' | 'done' | 'failed' | 'abandoned';
  readonly details: Readonly<Record<string, unknown>>;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export async function beginStep(db: Queryable, triggerId: number, step: string, now: number): Promise<void> {
  await store(db).beginStep(triggerId, step, now);
}

export async function endStep(
  db: Queryable,
  triggerId: number,
  step: string,
  status: 'done' | 'failed',
  details: Readonly<Record<string, unknown>>,
  now: number,
): Promise<void> {
  await store(db).endStep(triggerId, step, { status, details: JSON.stringify(details) }, now);
}

/** The order of the steps in a retrain. */
const stepOrder = ['data', 'tune', 'fit', 'compare', 'final-fit', 'register', 'deploy'];

export async function listSteps(db: Queryable, triggerId: number): Promise<RetrainStep[]> {
  const rows = await store(db).listSteps(triggerId);
  // Ordered by the flow, not by time: a simulated clock gives every step the same start time.
  const rank = (step: string) => (stepOrder.includes(step) ? stepOrder.indexOf(step) : stepOrder.length);
  rows.sort((a, b) => a.startedAt - b.startedAt || rank(a.step) - rank(b.step));
  return rows.map((r) => ({
    step: r.step,
    status: r.status as RetrainStep['status'],
    details: JSON.parse(r.details) as Record<string, unknown>,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
  }));
}
