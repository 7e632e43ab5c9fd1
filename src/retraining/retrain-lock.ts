import type { Database } from '../db/database.ts';

/** Who held the lock before a stale takeover. */
export interface StaleHolder {
  readonly holder: string;
  readonly triggerId: number | null;
  readonly heartbeatAt: number | null;
}

export type LockAttempt =
  | { readonly acquired: true; readonly takenOverFrom: StaleHolder | null }
  | {
      readonly acquired: false;
      readonly holder: string;
      readonly triggerId: number | null;
      readonly heartbeatAt: number | null;
    };

interface LockRow {
  holder: string | null;
  trigger_id: number | null;
  heartbeat_at: number | null;
}

const lockName = 'retrain';

/**
 * Takes the one retrain lock for `holder`. The lock is a row, not a process-local mutex, so it
 * holds across processes and machines and survives a crash. It is taken when free, or when its
 * holder's heartbeat is older than `staleAfterMs` (the holder is presumed dead and is taken over).
 * The conditional UPDATE is what makes it atomic on both databases: PostgreSQL re-evaluates the
 * WHERE clause on the row after a concurrent writer commits, SQLite serialises writers; the SELECT
 * before it (under the same write transaction) only reports whom we took over from.
 */
export async function acquireRetrainLock(
  db: Database,
  holder: string,
  triggerId: number | null,
  now: number,
  staleAfterMs: number,
): Promise<LockAttempt> {
  return db.transaction(async (tx) => {
    const forUpdate = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const before = await tx.get<LockRow>(
      `SELECT holder, trigger_id, heartbeat_at FROM retrain_lock WHERE name = ?${forUpdate}`,
      [lockName],
    );
    const taken = await tx.run(
      `UPDATE retrain_lock SET holder = ?, trigger_id = ?, acquired_at = ?, heartbeat_at = ?
       WHERE name = ? AND (holder IS NULL OR heartbeat_at IS NULL OR heartbeat_at < ?)`,
      [holder, triggerId, now, now, lockName, now - staleAfterMs],
    );
    if (taken.changes === 1) {
      const previous =
        before?.holder != null
          ? {
              holder: before.holder,
              triggerId: before.trigger_id === null ? null : Number(before.trigger_id),
              heartbeatAt: before.heartbeat_at === null ? null : Number(before.heartbeat_at),
            }
          : null;
      return { acquired: true, takenOverFrom: previous };
    }
    return {
      acquired: false,
      holder: before?.holder ?? 'unknown',
      triggerId: before?.trigger_id == null ? null : Number(before.trigger_id),
      heartbeatAt: before?.heartbeat_at == null ? null : Number(before.heartbeat_at),
    };
  });
}

/** Refreshes the heartbeat; false when the lock is no longer ours (we were presumed dead). */
export async function heartbeatRetrainLock(db: Database, holder: string, now: number): Promise<boolean> {
  const r = await db.run('UPDATE retrain_lock SET heartbeat_at = ? WHERE name = ? AND holder = ?', [
    now,
    lockName,
    holder,
  ]);
  return r.changes === 1;
}

/** Releases the lock if `holder` still has it. */
export async function releaseRetrainLock(db: Database, holder: string): Promise<void> {
  await db.run(
    'UPDATE retrain_lock SET holder = NULL, trigger_id = NULL, acquired_at = NULL, heartbeat_at = NULL WHERE name = ? AND holder = ?',
    [lockName, holder],
  );
}

/** The lock as it stands, for `track status`. */
export async function retrainLockState(
  db: Database,
): Promise<{ holder: string | null; triggerId: number | null; heartbeatAt: number | null }> {
  const row = await db.get<LockRow>(
    'SELECT holder, trigger_id, heartbeat_at FROM retrain_lock WHERE name = ?',
    [lockName],
  );
  return {
    holder: row?.holder ?? null,
    triggerId: row?.trigger_id == null ? null : Number(row.trigger_id),
    heartbeatAt: row?.heartbeat_at == null ? null : Number(row.heartbeat_at),
  };
}
