import { loadRatingsData } from '../data/load-ratings.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import type { Queryable } from '../db/database.ts';

/**
 * Ratings with a per-row "unexpected" flag (1: the movie was never recommended to the rater
 * before they rated it). Columnar like RatingsData, same row order.
 */
export interface ClassifiedRatings {
  readonly data: RatingsData;
  readonly unexpected: Uint8Array;
}

/**
 * Every rating, flagged by the rule training uses: a rating is unexpected when
 * `loadRatingsData(db, { includeUnexpected: false })` leaves it out (today: the tracker recorded it
 * as unexpected; imported history without a tracker row is not). Both loads return rows in (user,
 * movie) order, so a merge walk lines them up. Reusing the loader instead of a second rule here
 * means the ablation removes exactly the rows a retrain with `includeUnexpected: false` would
 * remove, whatever that rule becomes.
 */
export async function loadClassifiedRatings(db: Queryable): Promise<ClassifiedRatings> {
  const all = await loadRatingsData(db);
  const expected = await loadRatingsData(db, { includeUnexpected: false });
  const unexpected = new Uint8Array(all.size).fill(1);
  let j = 0;
  for (let i = 0; i < all.size && j < expected.size; i++) {
    if (all.users[i] === expected.users[j] && all.movies[i] === expected.movies[j]) {
      unexpected[i] = 0;
      j++;
    }
  }
  return { data: all, unexpected };
}
