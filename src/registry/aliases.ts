import type { Database, Queryable, SqlValue } from '../db/database.ts';
import { ArtifactError, ConflictError, NotFoundError } from '../errors.ts';
import { loadVersionArtifact } from './artifacts.ts';

export type AliasName = 'champion' | 'challenger';

/**
 * How an alias moved: `first` (the first version ever became champion), `activate` (by hand or on
 * registration), `rollback`, `ab-activate` (an A/B test promoted its challenger), `set` / `clear`
 * (challenger set by a test start, cleared by its end), `test-stopped`.
 */
export type AliasAction = 'first' | 'activate' | 'rollback' | 'ab-activate' | 'set' | 'clear';

/** One move of an alias. Never updated. */
export interface AliasHistoryEntry {
  readonly id: number;
  readonly alias: AliasName;
  readonly action: AliasAction;
  readonly previousVersion: number | null;
  readonly newVersion: number | null;
  readonly reason: string;
  readonly abTestId: number | null;
  /** The numbers behind the move (an A/B decision's statistics). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly movedAt: number;
}

/** Current alias → version. */
export async function readAliases(db: Queryable): Promise<Map<AliasName, number>> {
  const rows = await db.all<{ alias: AliasName; version: number }>(
    'SELECT alias, version FROM model_aliases',
  );
  return new Map(rows.map((r) => [r.alias, Number(r.version)]));
}

/**
 * Opens a registry write: bumps the single registry_state row first, so that on PostgreSQL the
 * row lock makes concurrent registry writers queue up (SQLite's BEGIN IMMEDIATE already does), and
 * each one decides from the state the previous one committed.
 */
export async function lockRegistry(tx: Queryable, now: number): Promise<void> {
  await tx.run('UPDATE registry_state SET generation = generation + 1, updated_at = ? WHERE id = 1', [now]);
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
  const current = await tx.get<{ version: number }>('SELECT version FROM model_aliases WHERE alias = ?', [
    move.alias,
  ]);
  const previous = current ? Number(current.version) : null;
  if (previous === move.version) return previous;
  if (move.version === null) {
    await tx.run('DELETE FROM model_aliases WHERE alias = ?', [move.alias]);
  } else {
    await tx.run(
      `INSERT INTO model_aliases (alias, version, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      [move.alias, move.version, move.now],
    );
  }
  await tx.run(
    `INSERT INTO alias_history (alias, action, previous_version, new_version, reason, ab_test_id, details, moved_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      move.alias,
      move.action,
      previous,
      move.version,
      move.reason,
      move.abTestId ?? null,
      JSON.stringify(move.details ?? {}),
      move.now,
    ],
  );
  return previous;
}

/**
 * The champion a rollback returns to: the history replayed as a stack (an activation pushes, a
 * rollback pops), so rolling back twice walks two champions back instead of flip-flopping.
 */
export async function rollbackTarget(db: Queryable): Promise<number | null> {
  const rows = await db.all<{ action: AliasAction; new_version: number | null }>(
    "SELECT action, new_version FROM alias_history WHERE alias = 'champion' ORDER BY id",
  );
  const stack: number[] = [];
  for (const r of rows) {
    if (r.action === 'rollback') stack.pop();
    else if (r.new_version !== null) stack.push(Number(r.new_version));
  }
  return stack.length >= 2 ? stack[stack.length - 2]! : null;
}

/**
 * A manual change of champion ends a running A/B test: the test compares against the champion it
 * started with, so its numbers would no longer answer any question.
 */
async function stopRunningTest(tx: Queryable, why: string, now: number): Promise<number | null> {
  const running = await tx.get<{ id: number }>("SELECT id FROM ab_tests WHERE status = 'running'");
  if (!running) return null;
  const id = Number(running.id);
  await tx.run(
    "UPDATE ab_tests SET status = 'stopped', decision = 'stopped', decision_reason = ?, ended_at = ? WHERE id = ?",
    [why, now, id],
  );
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
  await loadVersionArtifact(db, version);
  return db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const row = await tx.get<{ status: string }>('SELECT status FROM model_versions WHERE version = ?', [
      version,
    ]);
    if (!row) throw new NotFoundError(`model version ${version}: no such version`);
    if (row.status === 'pruned')
      throw new ArtifactError(`model version ${version}: artifact is missing (the version was pruned)`);
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
  const where = options.alias ? 'WHERE alias = ?' : '';
  const params: SqlValue[] = options.alias ? [options.alias] : [];
  const limit = options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
  const rows = await db.all<{
    id: number;
    alias: AliasName;
    action: AliasAction;
    previous_version: number | null;
    new_version: number | null;
    reason: string;
    ab_test_id: number | null;
    details: string;
    moved_at: number;
  }>(`SELECT * FROM alias_history ${where} ORDER BY id DESC${limit}`, params);
  return rows.reverse().map((r) => ({
    id: Number(r.id),
    alias: r.alias,
    action: r.action,
    previousVersion: r.previous_version === null ? null : Number(r.previous_version),
    newVersion: r.new_version === null ? null : Number(r.new_version),
    reason: r.reason,
    abTestId: r.ab_test_id === null ? null : Number(r.ab_test_id),
    details: JSON.parse(r.details) as Record<string, unknown>,
    movedAt: Number(r.moved_at),
  }));
}
