import type { Database, Queryable } from '../db/database.ts';
import { type LockRecord, SqlRetrainStore } from './retrain-store.ts';

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

/**
 * Takes the one retrain lock for `holder`. The lock is a row, not a process-local mutex, so it
 * holds across processes and machines and survives a crash. It is taken when free, or when its
 * holder's heartbeat is older than `staleAfterMs` (the holder is presumed dead and is taken over).
 * The store's conditional update is what makes it atomic on both databases; the row read before
 * it (locked, in the same write transaction) only reports whom we took over from.
 */
export async function acquireRetrainLock(
  db: Database,
  holder: string,
  triggerId: number | null,
  now: number,
  staleAfterMs: number,
): Promise<LockAttempt> {
  return db.transaction(async (tx) => {
    const store = new SqlRetrainStore(tx);
    const before = await store.readLock(true);
    if (await store.takeLock(holder, triggerId, now, now - staleAfterMs)) {
      const previous = before.holder !== null ? { ...before, holder: before.holder } : null;
      return { acquired: true, takenOverFrom: previous };
    }
    return { acquired: false, ...before, holder: before.holder ?? 'unknown' };
  });
}

/** Refreshes the heartbeat; false when the lock is no longer ours (we were presumed dead). */
export async function heartbeatRetrainLock(db: Queryable, holder: string, now: number): Promise<boolean> {
  return new SqlRetrainStore(db).heartbeatLock(holder, now);
}

/** Releases the lock if `holder` still has it. */
export async function releaseRetrainLock(db: Queryable, holder: string): Promise<void> {
  await new SqlRetrainStore(db).releaseLock(holder);
}

/** The lock as it stands, for `track status` and for the retrain's pre-flight check. */
export async function retrainLockState(db: Queryable): Promise<LockRecord> {
  return new SqlRetrainStore(db).readLock(false);
}
