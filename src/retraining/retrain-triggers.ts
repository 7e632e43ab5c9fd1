import type { Config } from '../config.ts';
import type { Database, Queryable } from '../db/database.ts';

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
}

export type TriggerDecision =
  | { readonly created: true; readonly trigger: RetrainTrigger }
  | { readonly created: false; readonly blocked: string; readonly openTrigger: RetrainTrigger | null };

interface TriggerRow {
  id: number;
  source: string;
  reason: string;
  numbers: string;
  options: string;
  status: string;
  outcome: string | null;
  holder: string | null;
  new_version: number | null;
  ab_test_id: number | null;
  error: string | null;
  triggered_at: number;
  started_at: number | null;
  heartbeat_at: number | null;
  ended_at: number | null;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toTrigger(r: TriggerRow): RetrainTrigger {
  return Object.freeze({
    id: Number(r.id),
    source: r.source as TriggerSource,
    reason: r.reason,
    numbers: JSON.parse(r.numbers) as Record<string, number | null>,
    options: JSON.parse(r.options) as Record<string, unknown>,
    status: r.status as TriggerStatus,
    outcome: r.outcome,
    holder: r.holder,
    newVersion: num(r.new_version),
    abTestId: num(r.ab_test_id),
    error: r.error,
    triggeredAt: Number(r.triggered_at),
    startedAt: num(r.started_at),
    heartbeatAt: num(r.heartbeat_at),
    endedAt: num(r.ended_at),
  });
}

const columns =
  'id, source, reason, numbers, options, status, outcome, holder, new_version, ab_test_id, error, triggered_at, started_at, heartbeat_at, ended_at';

export async function getTrigger(db: Queryable, id: number): Promise<RetrainTrigger | undefined> {
  const row = await db.get<TriggerRow>(`SELECT ${columns} FROM retrain_triggers WHERE id = ?`, [id]);
  return row ? toTrigger(row) : undefined;
}

/** The most recent triggers, newest first. */
export async function listTriggers(db: Queryable, limit = 20): Promise<RetrainTrigger[]> {
  const rows = await db.all<TriggerRow>(`SELECT ${columns} FROM retrain_triggers ORDER BY id DESC LIMIT ?`, [
    limit,
  ]);
  return rows.map(toTrigger);
}

/** The oldest trigger still pending or running, if any. */
export async function openTrigger(db: Queryable): Promise<RetrainTrigger | undefined> {
  const row = await db.get<TriggerRow>(
    `SELECT ${columns} FROM retrain_triggers WHERE status IN ('pending', 'running') ORDER BY id LIMIT 1`,
  );
  return row ? toTrigger(row) : undefined;
}

/** Marks a running trigger whose process stopped heartbeating as abandoned (and its open step). */
export async function abandonTrigger(tx: Queryable, id: number, why: string, now: number): Promise<void> {
  await tx.run(
    `UPDATE retrain_triggers SET status = 'abandoned', outcome = ?, ended_at = ? WHERE id = ? AND status IN ('pending', 'running')`,
    [why, now, id],
  );
  await tx.run(
    `UPDATE retrain_steps SET status = 'abandoned', ended_at = ? WHERE trigger_id = ? AND status = 'running'`,
    [now, id],
  );
}

/**
 * Records a request to retrain, unless one must not start now. One write transaction (and on
 * PostgreSQL a row lock on the retrain lock row) serialises all requesters, so two processes
 * that find accuracy low at the same moment create exactly one trigger: the second sees the
 * first's pending trigger. Blocked when: a trigger is already pending or running (a running one
 * whose heartbeat is stale is marked abandoned first, so a crash never blocks retraining
 * forever); for automatic triggers also when the last automatic trigger (one that did not die
 * with its process) is within the cooldown,
 * or when an A/B test is still deciding on an earlier retrain's challenger.
 */
export async function requestRetrain(
  db: Database,
  request: TriggerRequest,
  config: Pick<Config, 'retrainCooldownHours' | 'staleAfterSeconds'>,
  now: number,
): Promise<TriggerDecision> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres')
      await tx.run("SELECT name FROM retrain_lock WHERE name = 'retrain' FOR UPDATE");
    let open = await openTrigger(tx);
    if (
      open?.status === 'running' &&
      (open.heartbeatAt ?? open.startedAt ?? 0) < now - config.staleAfterSeconds * 1000
    ) {
      await abandonTrigger(
        tx,
        open.id,
        `abandoned: holder ${open.holder ?? '?'} stopped heartbeating (last ${new Date(open.heartbeatAt ?? 0).toISOString()})`,
        now,
      );
      open = await openTrigger(tx);
    }
    if (open)
      return { created: false, blocked: `retrain #${open.id} is already ${open.status}`, openTrigger: open };
    if (request.source === 'auto') {
      const last = await tx.get<{ t: number | null }>(
        "SELECT MAX(triggered_at) AS t FROM retrain_triggers WHERE source = 'auto' AND status <> 'abandoned'",
      );
      const cooldownMs = config.retrainCooldownHours * 3_600_000;
      if (last?.t != null && Number(last.t) > now - cooldownMs) {
        return {
          created: false,
          blocked: `cooldown: last automatic retrain at ${new Date(Number(last.t)).toISOString()}, next allowed at ${new Date(Number(last.t) + cooldownMs).toISOString()}`,
          openTrigger: null,
        };
      }
      const ab = await tx.get<{ id: number }>(
        "SELECT id FROM ab_tests WHERE status = 'running' ORDER BY id LIMIT 1",
      );
      if (ab) return { created: false, blocked: `A/B test #${ab.id} is still deciding`, openTrigger: null };
    }
    const row = await tx.get<TriggerRow>(
      `INSERT INTO retrain_triggers (source, reason, numbers, options, status, triggered_at)
       VALUES (?, ?, ?, ?, 'pending', ?) RETURNING ${columns}`,
      [
        request.source,
        request.reason,
        JSON.stringify(request.numbers ?? {}),
        JSON.stringify(request.options ?? {}),
        now,
      ],
    );
    if (!row) throw new Error('retrain_triggers insert returned no row');
    return { created: true, trigger: toTrigger(row) };
  });
}

/** Moves a trigger to running under `holder`. */
export async function startTrigger(db: Queryable, id: number, holder: string, now: number): Promise<void> {
  await db.run(
    "UPDATE retrain_triggers SET status = 'running', holder = ?, started_at = ?, heartbeat_at = ? WHERE id = ?",
    [holder, now, now, id],
  );
}

export async function heartbeatTrigger(db: Queryable, id: number, now: number): Promise<void> {
  await db.run('UPDATE retrain_triggers SET heartbeat_at = ? WHERE id = ?', [now, id]);
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
  await db.run(
    'UPDATE retrain_triggers SET status = ?, outcome = ?, new_version = ?, ab_test_id = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?',
    [
      result.status,
      result.outcome,
      result.newVersion ?? null,
      result.abTestId ?? null,
      result.error ?? null,
      now,
      now,
      id,
    ],
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
  await db.run(
    `INSERT INTO retrain_steps (trigger_id, step, status, details, started_at) VALUES (?, ?, 'running', '{}', ?)
     ON CONFLICT (trigger_id, step) DO UPDATE SET status = 'running', started_at = excluded.started_at, ended_at = NULL`,
    [triggerId, step, now],
  );
}

export async function endStep(
  db: Queryable,
  triggerId: number,
  step: string,
  status: 'done' | 'failed',
  details: Readonly<Record<string, unknown>>,
  now: number,
): Promise<void> {
  await db.run(
    'UPDATE retrain_steps SET status = ?, details = ?, ended_at = ? WHERE trigger_id = ? AND step = ?',
    [status, JSON.stringify(details), now, triggerId, step],
  );
}

export async function listSteps(db: Queryable, triggerId: number): Promise<RetrainStep[]> {
  const rows = await db.all<{
    step: string;
    status: string;
    details: string;
    started_at: number;
    ended_at: number | null;
  }>(
    'SELECT step, status, details, started_at, ended_at FROM retrain_steps WHERE trigger_id = ? ORDER BY started_at, step',
    [triggerId],
  );
  // Ordered by the flow, not by time: a simulated clock gives every step the same start time.
  const order = ['data', 'tune', 'fit', 'compare', 'final-fit', 'register', 'deploy'];
  const rank = (step: string) => (order.includes(step) ? order.indexOf(step) : order.length);
  rows.sort((a, b) => Number(a.started_at) - Number(b.started_at) || rank(a.step) - rank(b.step));
  return rows.map((r) => ({
    step: r.step,
    status: r.status as RetrainStep['status'],
    details: JSON.parse(r.details) as Record<string, unknown>,
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
  }));
}
