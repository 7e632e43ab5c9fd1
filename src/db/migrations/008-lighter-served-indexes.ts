import type { Migration } from './migration.ts';

/**
 * Lighter indexes on served_recommendations, which every recommendation request adds ten rows to
 * (and every index entry of them lands on a different page, so each group commit wrote a page
 * per user per index):
 * - served_at is dropped: no query reads served rows by time alone (the tracker finds them by user
 *   and movie through served_user_movie);
 * - served_ab keeps only rows served within an A/B test, which are the only ones its one query
 *   (`ab_test_id = ?`) can match: outside a test, serving no longer writes to it at all.
 */
export const lighterServedIndexes: Migration = {
  version: 8,
  name: 'served_recommendations: drop served_at, served_ab only for A/B rows',
  async up(db) {
    await db.run('DROP INDEX served_at');
    await db.run('DROP INDEX served_ab');
    await db.run(
      'CREATE INDEX served_ab ON served_recommendations (ab_test_id, arm, user_id) WHERE ab_test_id IS NOT NULL',
    );
  },
};
