import type { Queryable } from '../db/database.ts';
import { SqlCatalogStore } from './catalog-store.ts';
import { halfStarScale, type RatingScale, wholeStarScale } from './rating-scale.ts';

/**
 * Databases known to hold half stars, kept for good: once a half star is stored the scale cannot
 * go back to whole stars through rating entry.
 */
const halfStarDatabases = new WeakSet<Queryable>();
/**
 * A whole-star answer costs a scan of the ratings (no rating is half), so it is reused for a few
 * seconds: a burst of ratings does not scan once each, and an import of half stars is seen soon.
 */
const wholeStarSince = new WeakMap<Queryable, number>();
const wholeStarReuseMs = 5000;

/**
 * The scale of the ratings stored in `db`, detected the way the data loader detects it: half
 * stars if any stored rating is not whole, whole stars otherwise. An empty database accepts half
 * stars (the MovieLens scale), the more permissive of the two.
 */
export async function ratingScaleOf(db: Queryable): Promise<RatingScale> {
  if (halfStarDatabases.has(db)) return halfStarScale;
  const since = wholeStarSince.get(db);
  if (since !== undefined && Date.now() - since < wholeStarReuseMs) return wholeStarScale;
  const store = new SqlCatalogStore(db);
  if (!(await store.hasAnyRating())) return halfStarScale;
  if (await store.hasFractionalRating()) {
    halfStarDatabases.add(db);
    return halfStarScale;
  }
  wholeStarSince.set(db, Date.now());
  return wholeStarScale;
}
