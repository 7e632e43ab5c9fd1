import type { Database, Queryable } from '../db/database.ts';
import { ArtifactError, ArtifactRefusedError, ConflictError, NotFoundError } from '../errors.ts';
import { loadVersionArtifact } from './artifacts.ts';
import type { AliasAction, AliasHistoryEntry, AliasName } from './registry-store.ts';
import { registryStore } from './sql-registry-store.ts';

export type { AliasAction, AliasHistoryEntry, AliasName } from './registry-store.ts';

/** Current alias → version. */
export async function readAliases(db: Queryable): Promise<Map<AliasName, number>> {
  return registryStore(db).aliases();
}

/**
 * Opens a registry write: bumps the single registry_state row first, so that on PostgreSQL the
 * row lock makes concurrent registry writers queue up (SQLite's BEGIN IMMEDIATE already does), and
 * each one decides from the state the previous one committed.
 */
export async function lockRegistry(tx: Queryable, now: number): Promise<void> {
  await registryStore(tx).lock(now);
}

export interface AliasMove {
  readonly alias: AliasName;
  /** null removes the alias. */
  readonly version: number | null;
  readonly action: AliasAction;
  readonly reason: string;
  readonly abTestId?: number | null;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly now: number;
}

/**
 * Moves an alias and appends the move to its history, inside the caller's transaction (which must
 * have called lockRegistry). The alias row and its history row commit together or not at all: a
 * process killed at any point leaves the previous champion or the new one, never none or two.
 * Returns the previous version; a move to where the alias already is records nothing.
 */
export async function moveAlias(tx: Queryable, move: AliasMove): Promise<number | null> {
  const store = registryStore(tx);
  const previous = (await store.alias(move.alias))?.version ?? null;
  if (previous === move.version) return previous;
  await store.setAlias(move.alias, move.version, move.now);
  await store.appendAliasHistory({
    alias: move.alias,
    action: move.action,
    previousVersion: previous,
    newVersion: move.version,
    reason: move.reason,
    abTestId: move.abTestId ?? null,
    details: move.details ?? {},
    movedAt: move.now,
  });
  return previous;
}

/**
 * The champion a rollback returns to: the history replayed as a stack (an activation pushes, a
 * rollback pops), so rolling back twice walks two champions back instead of flip-flopping.
 */
export async function rollbackTarget(db: Queryable): Promise<number | null> {
  const moves = await registryStore(db).aliasHistory({ alias: 'champion' });
  const stack: number[] = [];
  for (const m of moves) {
    if (m.action === 'rollback') stack.pop();
    else if (m.newVersion !== null) stack.push(m.newVersion);
  }
  return stack.length >= 2 ? stack[stack.length - 2]! : null;
}

/**
 * A manual change of champion ends a running A/B test: the test compares against the champion it
 * started with, so its numbers would no longer answer any question.
 */
async function stopRunningTest(tx: Queryable, why: string, now: number): Promise<number | null> {
  const id = await registryStore(tx).stopRunningTest(why, now);
  if (id === null) return null;
  await moveAlias(tx, {
    alias: 'challenger',
    version: null,
    action: 'clear',
    reason: why,
    abTestId: id,
    now,
  });
  return id;
}

export interface AliasChange {
  readonly previous: number | null;
  readonly current: number;
  /** True when nothing changed (the version already was champion). */
  readonly unchanged: boolean;
  /** An A/B test this change stopped. */
  readonly stoppedAbTest: number | null;
}

async function changeChampion(
  db: Database,
  version: number,
  action: 'activate' | 'rollback',
  reason: string,
  now: number,
): Promise<AliasChange> {
  // Load the model before touching anything: a missing or damaged artifact is refused here, and
  // the champion stays what it was.
  try {
    await loadVersionArtifact(db, version);
  } catch (error) {
    if (error instanceof ArtifactError) {
      throw new ArtifactRefusedError(`${error.message}; the champion is unchanged`, { cause: error });
    }
    throw error;
  }
  return db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const row = await registryStore(tx).version(version);
    if (!row) throw new NotFoundError(`model version ${version}: no such version`);
    if (row.status === 'pruned')
      throw new ArtifactRefusedError(
        `model version ${version}: artifact is missing (the version was pruned)`,
      );
    const aliases = await readAliases(tx);
    if (aliases.get('champion') === version) {
      return { previous: version, current: version, unchanged: true, stoppedAbTest: null };
    }
    const stopped = await stopRunningTest(tx, `stopped: champion changed by ${action} to v${version}`, now);
    if (aliases.get('challenger') === version && stopped === null) {
      await moveAlias(tx, {
        alias: 'challenger',
        version: null,
        action: 'clear',
        reason: `v${version} became champion`,
        now,
      });
    }
    const previous = await moveAlias(tx, { alias: 'champion', version, action, reason, now });
    return { previous, current: version, unchanged: false, stoppedAbTest: stopped };
  });
}

/** Makes a version champion in one transaction (verifying its artifact first). */
export async function activateVersion(
  db: Database,
  version: number,
  options: { reason?: string; now?: number } = {},
): Promise<AliasChange> {
  return changeChampion(
    db,
    version,
    'activate',
    options.reason ?? 'manual activation',
    options.now ?? Date.now(),
  );
}

/** Returns to the previous champion in one step. ConflictError when there is none. */
export async function rollback(
  db: Database,
  options: { reason?: string; now?: number } = {},
): Promise<AliasChange> {
  const target = await rollbackTarget(db);
  if (target === null) throw new ConflictError('nothing to roll back to: there has been only one champion');
  const current = (await readAliases(db)).get('champion');
  return changeChampion(
    db,
    target,
    'rollback',
    options.reason ?? `rollback from v${current ?? '?'} to v${target}`,
    options.now ?? Date.now(),
  );
}

/** The alias history, oldest first (`alias` to restrict it, `limit` for the newest N). */
export async function aliasHistory(
  db: Queryable,
  options: { alias?: AliasName; limit?: number } = {},
): Promise<AliasHistoryEntry[]> {
  return registryStore(db).aliasHistory(options);
}
