import type { Queryable } from '../db/database.ts';
import { establishedClause } from './sql-quality-store.ts';

/** The champion's tracked outcomes in rating order: 1 right, 0 wrong, with when each was rated. */
export interface OutcomeStream {
  readonly hits: Uint8Array;
  readonly ratedAt: Float64Array;
}

/**
 * Tracked outcomes (recommended movies only) of one model version rated in [from, to], oldest
 * first: the stream the drift detector reads.
 */
export async function versionOutcomes(
  db: Queryable,
  version: number,
  from: number,
  to: number,
  /** Only established users' outcomes (see establishedClause); 0 keeps every outcome. */
  establishedMs = 0,
): Promise<OutcomeStream> {
  const rows = await db.all<{ hit: number; rated_at: number }>(
    `SELECT hit, rated_at FROM recommendation_quality q
     WHERE unexpected = 0 AND model_version = ? AND rated_at >= ? AND rated_at <= ?
       AND ${establishedClause('q')}
     ORDER BY rated_at, id`,
    [version, from, to, establishedMs],
  );
  const hits = new Uint8Array(rows.length);
  const ratedAt = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    hits[i] = r.hit > 0 ? 1 : 0;
    ratedAt[i] = r.rated_at;
  });
  return { hits, ratedAt };
}

/** When the champion alias last moved to `version` (null: no recorded move). */
export async function championSince(db: Queryable, version: number): Promise<number | null> {
  const row = await db.get<{ t: number | null }>(
    "SELECT MAX(moved_at) AS t FROM alias_history WHERE alias = 'champion' AND new_version = ?",
    [version],
  );
  return row?.t ?? null;
}
