import type { Database } from '../../src/db/database.ts';
import { rateMovie } from '../../src/monitoring/rate-movie.ts';
import { insertServed } from './served-recommendations.ts';

/**
 * Test fixtures for the tracking and retraining tests: a small catalogue, a registered champion
 * version and tracked ratings produced through the real entry point (serve rows, then rateMovie).
 */
export const fixtureDay = 86_400_000;

export async function seedCatalogue(db: Database, movies: number): Promise<void> {
  const rows = Array.from(
    { length: movies },
    (_, i) => [i + 1, `Movie ${i + 1}`, 2000 + (i % 20), 'Drama'] as const,
  );
  await db.insertMany('movies', ['id', 'title', 'year', 'genres'], rows);
}

/**
 * A champion without an artifact: enough for the tracker and the check, which only need its
 * number. Production registers versions through the registry (`registerVersion`) instead.
 */
export async function seedChampionRow(db: Database, version: number, at: number): Promise<void> {
  await db.run(
    `INSERT INTO model_versions (version, model_kind, params, train_rows, data_fingerprint, status, reason, created_at)
     VALUES (?, 'fixture', '{}', 0, 'fixture', 'active', 'test fixture', ?)`,
    [version, at],
  );
  await db.run(
    `INSERT INTO model_aliases (alias, version, updated_at) VALUES ('champion', ?, ?)
     ON CONFLICT (alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
    [version, at],
  );
}

/**
 * `count` tracked ratings of recommended movies for `version`, `hits` of them with the liked
 * prediction right: every served prediction is 4.5 (liked), a hit is rated 4, a miss 2. Users are
 * numbered from `firstUser`; movies cycle through `movieIds`. Rated at `at` minus a few minutes.
 */
export async function seedTrackedRatings(
  db: Database,
  options: {
    version: number;
    count: number;
    hits: number;
    at: number;
    firstUser?: number;
    movieIds: readonly number[];
  },
): Promise<void> {
  const first = options.firstUser ?? 1000;
  for (let i = 0; i < options.count; i++) {
    const user = first + i;
    const movie = options.movieIds[i % options.movieIds.length]!;
    const ratedAt = options.at - (options.count - i) * 1000;
    await db.run('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [
      user,
      ratedAt,
    ]);
    await insertServed(db, [
      {
        userId: user,
        movieId: movie,
        modelVersion: options.version,
        predictedRating: 4.5,
        servedAt: ratedAt - 3_600_000,
      },
    ]);
    await rateMovie(
      db,
      { userId: user, movieId: movie, rating: i < options.hits ? 4 : 2, ratedAt },
      { now: ratedAt },
    );
  }
}
