import type { Migration } from './migration.ts';

/**
 * A covering index for "this user's ratings" (movie, rating, time), read on every recommendation
 * request of a user the model must fold in. Live ratings arrive interleaved across users, so
 * without it one user's rows sit on as many table pages as they have ratings; with it they are
 * contiguous in one index. Bulk imports drop and rebuild it like the other secondary indexes.
 */
export const ratingsUserHistory: Migration = {
  version: 7,
  name: 'ratings: covering index for a user history',
  async up(db) {
    await db.run('CREATE INDEX ratings_user_history ON ratings (user_id, movie_id, rating, rated_at)');
  },
};
