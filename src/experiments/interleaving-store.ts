import type { Queryable } from '../db/database.ts';
import type { InterleavingCounts } from './interleaving.ts';

/**
 * The counts of an interleaving test, from the served rows (movies placed per team, users served)
 * and the tracker's quality rows (`arm` of an interleaved row is the team that placed the movie):
 * a like credits +1 to that team, a rating below the like line −1, except for a movie both
 * rankers' top n held (`in_both_lists` on the served row the rating was matched to, found by the
 * tracker's own key: user, movie, serving time). d_u is summed per user in SQL, then its sums and
 * signs. The exposure counts every placed movie: team-draft balances the teams over the whole
 * list, not over the movies only one ranker holds (the better ranker reaches the shared movies
 * first more often).
 */
export async function interleavingCounts(db: Queryable, testId: number): Promise<InterleavingCounts> {
  const served = await db.get<{ users: number; champion: number | null; challenger: number | null }>(
    `SELECT COUNT(DISTINCT user_id) AS users,
       SUM(CASE WHEN arm = 'champion' THEN 1 ELSE 0 END) AS champion,
       SUM(CASE WHEN arm = 'challenger' THEN 1 ELSE 0 END) AS challenger
     FROM served_recommendations WHERE ab_test_id = ?`,
    [testId],
  );
  const credit = await db.get<{
    s: number | null;
    ss: number | null;
    wins: number | null;
    losses: number | null;
  }>(
    `SELECT SUM(d) AS s, SUM(d * d) AS ss,
       SUM(CASE WHEN d > 0 THEN 1 ELSE 0 END) AS wins, SUM(CASE WHEN d < 0 THEN 1 ELSE 0 END) AS losses
     FROM (SELECT user_id, SUM(CASE WHEN arm = 'challenger' THEN 2 * liked_actual - 1 ELSE 1 - 2 * liked_actual END) AS d
           FROM recommendation_quality q
           WHERE ab_test_id = ? AND hit IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM served_recommendations s
                             WHERE s.user_id = q.user_id AND s.movie_id = q.movie_id AND s.served_at = q.served_at
                               AND s.ab_test_id = q.ab_test_id AND s.in_both_lists = 1)
           GROUP BY user_id) per_user`,
    [testId],
  );
  return {
    users: served?.users ?? 0,
    sumDifference: credit?.s ?? 0,
    sumSquaredDifference: credit?.ss ?? 0,
    wins: credit?.wins ?? 0,
    losses: credit?.losses ?? 0,
    placed: { champion: served?.champion ?? 0, challenger: served?.challenger ?? 0 },
  };
}
