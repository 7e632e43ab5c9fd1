import type { Queryable } from '../db/database.ts';

/** A movie as stored: genres still joined (`A|B`). */
export interface StoredMovie {
  readonly id: number;
  readonly title: string;
  readonly year: number | null;
  readonly genres: string;
}

/** Movies by id, in the order of `ids` (ids that do not exist are left out). */
export async function readMoviesByIds(db: Queryable, ids: readonly number[]): Promise<StoredMovie[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<StoredMovie>(
    `SELECT id, title, year, genres FROM movies WHERE id IN (${ids.map(() => '?').join(', ')})`,
    [...ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
