import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { SqlCatalogStore } from './catalog-store.ts';

/**
 * Every (user, movie) pair rated at or above a like line, as raw ids in (user, movie) order: what
 * the explainer is built from. 8 bytes a liked rating, against 20 a rating for the whole ratings.
 */
export interface LikedPairs {
  readonly size: number;
  readonly users: Int32Array;
  readonly movies: Int32Array;
}

/** Liked pairs read per slice by default (about 20–60 ms of a serving process's event loop). */
const defaultSlicePairs = 100_000;

/**
 * Reads the liked pairs (`rating >= threshold`) in slices of users, yielding to the event loop
 * between slices: a serving process keeps answering requests while it loads them (one SQLite scan
 * of 25 M ratings would otherwise hold it for tens of seconds). Each slice covers a range of user
 * ids sized from the last slice's yield, aiming at `slicePairs` pairs. Ratings written meanwhile
 * may or may not be seen; the explainer is rebuilt periodically anyway.
 */
export async function loadLikedPairs(
  db: Queryable,
  threshold: number,
  options: { readonly slicePairs?: number } = {},
): Promise<LikedPairs> {
  const slicePairs = options.slicePairs ?? defaultSlicePairs;
  if (!Number.isFinite(threshold)) {
    throw new InvalidInputError(`loadLikedPairs: threshold must be a number, got ${threshold}`);
  }
  if (!(Number.isInteger(slicePairs) && slicePairs >= 1)) {
    throw new InvalidInputError(`loadLikedPairs: slicePairs must be a whole number ≥ 1, got ${slicePairs}`);
  }
  const store = new SqlCatalogStore(db);
  const range = await store.ratedUserRange();
  let users = new Int32Array(range ? Math.max(1024, slicePairs) : 0);
  let movies = new Int32Array(users.length);
  let size = 0;
  if (!range) return { size, users, movies };
  let width = Math.max(1, Math.min(1000, slicePairs));
  for (let from = range.min; from <= range.max; ) {
    const to = Math.min(range.max + 1, from + width);
    const found = await store.scanLikedPairs(threshold, from, to, (u, m) => {
      if (size === users.length) {
        const grown = Math.ceil(users.length * 1.5);
        users = grownCopy(users, grown);
        movies = grownCopy(movies, grown);
      }
      users[size] = u;
      movies[size] = m;
      size++;
    });
    // At most eight times wider at once, so a stretch of users without likes cannot make the
    // next slice the whole rest of the table.
    const factor = found > 0 ? Math.min(8, slicePairs / found) : 8;
    width = Math.max(1, Math.min(1 << 24, Math.round(width * factor)));
    from = to;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { size, users: fitted(users, size), movies: fitted(movies, size) };
}

/** The first `size` entries: a view when little is wasted, else a copy (the spare capacity freed). */
function fitted(a: Int32Array, size: number): Int32Array {
  return a.length - size <= a.length / 8 ? a.subarray(0, size) : a.slice(0, size);
}

function grownCopy(from: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const to = new Int32Array(length);
  to.set(from);
  return to;
}
