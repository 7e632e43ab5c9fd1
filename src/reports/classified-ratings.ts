import { loadRatingsFlagged } from '../data/load-ratings.ts';
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
 * as unexpected; imported history without a tracker row is not). The loader and the flag share one
 * predicate in the catalogue store, so the ablation removes exactly the rows a retrain with
 * `includeUnexpected: false` would remove, whatever that rule becomes.
 */
export async function loadClassifiedRatings(db: Queryable): Promise<ClassifiedRatings> {
  return loadRatingsFlagged(db);
}
