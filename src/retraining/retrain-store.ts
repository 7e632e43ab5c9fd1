import type { Queryable } from '../db/database.ts';

/**
 * Where the retraining module keeps its state: triggers, their steps, and the one retrain lock.
 * The contract (retrain-store.contract.ts, run on SQLite and PostgreSQL):
 * - trigger ids grow; `openTrigger` is the oldest pending or running one;
 * - `takeLock` succeeds only when the lock is free or its heartbeat is older than `staleBefore`;
 *   `heartbeatLock` and `releaseLock` act only for the holder that has it;
 * - a step is one row per (trigger, step): beginning it again reopens it.
 * Every method runs on the Queryable the store was made with, so inside a transaction it is part
 * of that transaction.
 */
export interface RetrainStore {
  getTrigger(id: number): Promise<TriggerRecord | undefined>;
  listTriggers(limit: number): Promise<TriggerRecord[]>;
  openTrigger(): Promise<TriggerRecord | undefined>;
  insertTrigger(input: NewTrigger): Promise<TriggerRecord>;
  /** Marks a pending or running trigger abandoned, and its running steps. */
  abandonTrigger(id: number, why: string, now: number): Promise<void>;
  startTrigger(id: number, holder: string, now: number): Promise<void>;
  heartbeatTrigger(id: number, now: number): Promise<void>;
  finishTrigger(id: number, result: TriggerEnd, now: number): Promise<void>;
  /**
   * Automatic triggers that did not die with their process, newest first, each with whether the
   * version it made ever became champion (the cooldown grows after ones that did not).
   */
  recentAutoTriggers(limit: number): Promise<AutoTriggerRecord[]>;
  /** The running A/B test's id and start, if any. */
  runningAbTest(): Promise<{ readonly id: number; readonly startedAt: number } | null>;
  beginStep(triggerId: number, step: string, now: number): Promise<void>;
  endStep(triggerId: number, step: string, end: StepEnd, now: number): Promise<void>;
  listSteps(triggerId: number): Promise<StepRecord[]>;
  /** The lock row; `forUpdate` keeps it locked to the end of the transaction (call inside one). */
  readLock(forUpdate: boolean): Promise<LockRecord>;
  takeLock(holder: string, triggerId: number | null, now: number, staleBefore: number): Promise<boolean>;
  heartbeatLock(holder: string, now: number): Promise<boolean>;
  releaseLock(holder: string): Promise<void>;
  /**
   * Marks a version a failed retrain registered as `discarded` (when it is still `ready` and no
   * alias points at it), so that no list meant for choosing offers it.
   */
  discardVersion(version: number): Promise<boolean>;
}

/** A trigger row as stored (JSON columns still text). */
export interface TriggerRecord {
  readonly id: number;
  readonly source: string;
  readonly reason: string;
  readonly numbers: string;
  readonly options: string;
  readonly status: string;
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

export interface NewTrigger {
  readonly source: string;
  readonly reason: string;
  readonly numbers: string;
  readonly options: string;
  readonly now: number;
}

export interface TriggerEnd {
  readonly status: 'succeeded' | 'failed';
  readonly outcome: string;
  readonly newVersion: number | null;
  readonly abTestId: number | null;
  readonly error: string | null;
}

export interface AutoTriggerRecord {
  readonly id: number;
  readonly triggeredAt: number;
  readonly status: string;
  /** Its version became champion at some point (by activation or an A/B test). */
  readonly activated: boolean;
}

export interface StepEnd {
  readonly status: 'done' | 'failed';
  readonly details: string;
}

export interface StepRecord {
  readonly step: string;
  readonly status: string;
  readonly details: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export interface LockRecord {
  readonly holder: string | null;
  readonly triggerId: number | null;
  readonly heartbeatAt: number | null;
}

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

const columns =
  'id, source, reason, numbers, options, status, outcome, holder, new_version, ab_test_id, error, triggered_at, started_at, heartbeat_at, ended_at';

const lockName = 'retrain';

function toTrigger(r: TriggerRow): TriggerRecord {
  return {
    id: r.id,
    source: r.source,
    reason: r.reason,
    numbers: r.numbers,
    options: r.options,
    status: r.status,
    outcome: r.outcome,
    holder: r.holder,
    newVersion: r.new_version,
    abTestId: r.ab_test_id,
    error: r.error,
    triggeredAt: r.triggered_at,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    endedAt: r.ended_at,
  };
}

/** The store on the project's database (SQLite or PostgreSQL, the same SQL). */
export class SqlRetrainStore implements RetrainStore {
  constructor(private readonly db: Queryable) {}

  async getTrigger(id: number): Promise<TriggerRecord | undefined> {
    const row = await this.db.get<TriggerRow>(`SELECT ${columns} FROM retrain_triggers WHERE id = ?`, [id]);
    return row ? toTrigger(row) : undefined;
  }

  async listTriggers(limit: number): Promise<TriggerRecord[]> {
    const rows = await this.db.all<TriggerRow>(
      `SELECT ${columns} FROM retrain_triggers ORDER BY id DESC LIMIT ?`,
      [limit],
    );
    return rows.map(toTrigger);
  }

  async openTrigger(): Promise<TriggerRecord | undefined> {
    const row = await this.db.get<TriggerRow>(
      `SELECT ${columns} FROM retrain_triggers WHERE status IN ('pending', 'running') ORDER BY id LIMIT 1`,
    );
    return row ? toTrigger(row) : undefined;
  }

  async insertTrigger(input: NewTrigger): Promise<TriggerRecord> {
    const row = await this.db.get<TriggerRow>(
      `INSERT INTO retrain_triggers (source, reason, numbers, options, status, triggered_at)
       VALUES (?, ?, ?, ?, 'pending', ?) RETURNING ${columns}`,
      [input.source, input.reason, input.numbers, input.options, input.now],
    );
    if (!row) throw new Error('retrain_triggers insert returned no row');
    return toTrigger(row);
  }

  async abandonTrigger(id: number, why: string, now: number): Promise<void> {
    await this.db.run(
      `UPDATE retrain_triggers SET status = 'abandoned', outcome = ?, ended_at = ? WHERE id = ? AND status IN ('pending', 'running')`,
      [why, now, id],
    );
    await this.db.run(
      `UPDATE retrain_steps SET status = 'abandoned', ended_at = ? WHERE trigger_id = ? AND status = 'running'`,
      [now, id],
    );
  }

  async startTrigger(id: number, holder: string, now: number): Promise<void> {
    await this.db.run(
      "UPDATE retrain_triggers SET status = 'running', holder = ?, started_at = ?, heartbeat_at = ? WHERE id = ?",
      [holder, now, now, id],
    );
  }

  async heartbeatTrigger(id: number, now: number): Promise<void> {
    await this.db.run('UPDATE retrain_triggers SET heartbeat_at = ? WHERE id = ?', [now, id]);
  }

  async finishTrigger(id: number, r: TriggerEnd, now: number): Promise<void> {
    await this.db.run(
      'UPDATE retrain_triggers SET status = ?, outcome = ?, new_version = ?, ab_test_id = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?',
      [r.status, r.outcome, r.newVersion, r.abTestId, r.error, now, now, id],
    );
  }

  async recentAutoTriggers(limit: number): Promise<AutoTriggerRecord[]> {
    const rows = await this.db.all<{ id: number; triggered_at: number; status: string; activated: number }>(
      `SELECT t.id, t.triggered_at, t.status,
         CASE WHEN EXISTS (SELECT 1 FROM alias_history h WHERE h.alias = 'champion'
           AND h.new_version = t.new_version AND h.action IN ('first', 'activate', 'ab-activate'))
         THEN 1 ELSE 0 END AS activated
       FROM retrain_triggers t WHERE t.source = 'auto' AND t.status <> 'abandoned'
       ORDER BY t.id DESC LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      triggeredAt: r.triggered_at,
      status: r.status,
      activated: r.activated === 1,
    }));
  }

  async runningAbTest(): Promise<{ readonly id: number; readonly startedAt: number } | null> {
    const row = await this.db.get<{ id: number; started_at: number }>(
      "SELECT id, started_at FROM ab_tests WHERE status = 'running' ORDER BY id LIMIT 1",
    );
    return row ? { id: row.id, startedAt: row.started_at } : null;
  }

  async beginStep(triggerId: number, step: string, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO retrain_steps (trigger_id, step, status, details, started_at) VALUES (?, ?, 'running', '{}', ?)
       ON CONFLICT (trigger_id, step) DO UPDATE SET status = 'running', started_at = excluded.started_at, ended_at = NULL`,
      [triggerId, step, now],
    );
  }

  async endStep(triggerId: number, step: string, end: StepEnd, now: number): Promise<void> {
    await this.db.run(
      'UPDATE retrain_steps SET status = ?, details = ?, ended_at = ? WHERE trigger_id = ? AND step = ?',
      [end.status, end.details, now, triggerId, step],
    );
  }

  async listSteps(triggerId: number): Promise<StepRecord[]> {
    const rows = await this.db.all<{
      step: string;
      status: string;
      details: string;
      started_at: number;
      ended_at: number | null;
    }>(
      'SELECT step, status, details, started_at, ended_at FROM retrain_steps WHERE trigger_id = ? ORDER BY started_at, step',
      [triggerId],
    );
    return rows.map((r) => ({
      step: r.step,
      status: r.status,
      details: r.details,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    }));
  }

  async readLock(forUpdate: boolean): Promise<LockRecord> {
    const sql = 'SELECT holder, trigger_id, heartbeat_at FROM retrain_lock WHERE name = ?';
    type LockRow = { holder: string | null; trigger_id: number | null; heartbeat_at: number | null };
    const row = forUpdate
      ? (await this.db.selectForUpdate<LockRow>(sql, [lockName]))[0]
      : await this.db.get<LockRow>(sql, [lockName]);
    return {
      holder: row?.holder ?? null,
      triggerId: row?.trigger_id ?? null,
      heartbeatAt: row?.heartbeat_at ?? null,
    };
  }

  async takeLock(
    holder: string,
    triggerId: number | null,
    now: number,
    staleBefore: number,
  ): Promise<boolean> {
    // A conditional UPDATE: PostgreSQL re-evaluates the WHERE clause on the row after a concurrent
    // writer commits, SQLite serialises writers; either way one taker wins.
    const taken = await this.db.run(
      `UPDATE retrain_lock SET holder = ?, trigger_id = ?, acquired_at = ?, heartbeat_at = ?
       WHERE name = ? AND (holder IS NULL OR heartbeat_at IS NULL OR heartbeat_at < ?)`,
      [holder, triggerId, now, now, lockName, staleBefore],
    );
    return taken.changes === 1;
  }

  async heartbeatLock(holder: string, now: number): Promise<boolean> {
    const r = await this.db.run('UPDATE retrain_lock SET heartbeat_at = ? WHERE name = ? AND holder = ?', [
      now,
      lockName,
      holder,
    ]);
    return r.changes === 1;
  }

  async releaseLock(holder: string): Promise<void> {
    await this.db.run(
      'UPDATE retrain_lock SET holder = NULL, trigger_id = NULL, acquired_at = NULL, heartbeat_at = NULL WHERE name = ? AND holder = ?',
      [lockName, holder],
    );
  }

  async discardVersion(version: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE model_versions SET status = 'discarded' WHERE version = ? AND status = 'ready'
         AND version NOT IN (SELECT version FROM model_aliases)`,
      [version],
    );
    return r.changes === 1;
  }
}
