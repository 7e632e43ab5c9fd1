import type { Queryable } from '../db/database.ts';
import { SqlCatalogStore } from './catalog-store.ts';
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
  const rows = await new SqlCatalogStore(db).allMovies();
  const out = new Map<number, MovieInfo>();
  for (const r of rows) {
    out.set(
      r.id,
      Object.freeze({
        id: r.id,
        title: r.title,
        year: r.year,
        genres: Object.freeze(splitGenres(r.genres)),
      }),
    );
  }
  return out;
}
