import type { Queryable } from '../db/database.ts';

/** One arm's validated ratings on one day of an A/B test. */
export interface ArmDayOutcome {
  readonly arm: string;
  /** Whole days since the epoch (UTC). */
  readonly day: number;
  /** Ratings the tracker validated against that arm's recommendations. */
  readonly n: number;
  /** Of those, how many it counted as hits. */
  readonly hits: number;
}

const dayMs = 86_400_000;

/**
 * The dashboard's read of the tracker's quality rows, grouped per arm and day for the A/B timeline
 * chart. It only reads `recommendation_quality`; the tracker owns its writes.
 */
export async function armDayOutcomes(db: Queryable, testId: number): Promise<ArmDayOutcome[]> {
  const rows = await db.all<{ arm: string; day: number; n: number; hits: number | null }>(
    `SELECT arm, (rated_at / ${dayMs}) AS day, COUNT(*) AS n, SUM(hit) AS hits FROM recommendation_quality
      WHERE ab_test_id = ? AND hit IS NOT NULL GROUP BY arm, (rated_at / ${dayMs}) ORDER BY 2`,
    [testId],
  );
  return rows.map((r) => ({ arm: r.arm, day: Math.floor(r.day), n: r.n, hits: r.hits ?? 0 }));
}
