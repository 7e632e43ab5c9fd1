import type { Queryable } from '../db/database.ts';

/** How much the loop holds: the admin overview's counts. */
export interface OverviewCounts {
  readonly users: number;
  readonly accounts: number;
  readonly movies: number;
  readonly ratings: number;
  readonly served: number;
  readonly tracked: number;
  readonly versions: number;
  readonly tuningRuns: number;
}

/** Counts every table the overview shows, in one query. */
export async function readOverviewCounts(db: Queryable): Promise<OverviewCounts> {
  const row = await db.get<OverviewCounts>(
    `SELECT
       (SELECT COUNT(*) FROM users) AS users,
       (SELECT COUNT(*) FROM accounts) AS accounts,
       (SELECT COUNT(*) FROM movies) AS movies,
       (SELECT COUNT(*) FROM ratings) AS ratings,
       (SELECT COUNT(*) FROM served_recommendations) AS served,
       (SELECT COUNT(*) FROM recommendation_quality) AS tracked,
       (SELECT COUNT(*) FROM model_versions) AS versions,
       (SELECT COUNT(*) FROM hp_tuning_history) AS "tuningRuns"`,
  );
  if (!row) throw new Error('overview counts: the database returned no row');
  return row;
}
