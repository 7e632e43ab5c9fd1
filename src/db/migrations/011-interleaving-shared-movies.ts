import type { Migration } from './migration.ts';

/**
 * served_recommendations.in_both_lists: in an interleaving test, 1 when the other ranker's top n
 * held the movie too (the list would show it whichever team placed it), 0 when only the placing
 * ranker would have shown it; null outside interleaving. The interleaving credit counts only the
 * 0 rows, so a movie both rankers agree on says nothing about which ranks better.
 */
export const interleavingSharedMovies: Migration = {
  version: 11,
  name: 'served_recommendations: in_both_lists (interleaving credit of movies only one ranker shows)',
  async up(db) {
    await db.run('ALTER TABLE served_recommendations ADD COLUMN in_both_lists INTEGER');
  },
};
