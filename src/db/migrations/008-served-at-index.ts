import type { Migration } from './migration.ts';

/**
 * Drops the index on served_recommendations.served_at. No query reads served rows by time alone
 * (the tracker finds them by user and movie through served_user_movie, the A/B counts by test
 * through served_ab), and every recommendation request inserts ten rows into each of the table's
 * indexes: one fewer is about a sixth of that write.
 */
export const dropServedAtIndex: Migration = {
  version: 8,
  name: 'served_recommendations: drop the unused served_at index',
  async up(db) {
    await db.run('DROP INDEX served_at');
  },
};
