import type { Queryable } from '../db/database.ts';
import type { MovieInfo } from './ratings-data.ts';

/**
 * The genres column holds MovieLens-style `A|B|C`; an empty string means no genres. Kept in one
 * place so importers, the generator and readers agree.
 */
export function splitGenres(genres: string): readonly string[] {
  return genres === '' ? [] : genres.split('|');
}

export function joinGenres(genres: readonly string[]): string {
  return genres.join('|');
}

/** The whole catalogue, keyed by movie id, in id order. Records are frozen. */
export async function loadMovies(db: Queryable): Promise<Map<number, MovieInfo>> {
  const rows = await db.all<{ id: number; title: string; year: number | null; genres: string }>(
    'SELECT id, title, year, genres FROM movies ORDER BY id',
  );
  const out = new Map<number, MovieInfo>();
  for (const r of rows) {
    out.set(
      r.id,
      Object.freeze({
        id: r.id,
        title: r.title,
        year: r.year === null ? null : Number(r.year),
        genres: Object.freeze(splitGenres(r.genres)),
      }),
    );
  }
  return out;
}
