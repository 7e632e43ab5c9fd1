import type { Queryable } from '../../src/db/database.ts';

/** One recommendation as the server records it when it shows a movie to a user. */
export interface ServedRow {
  readonly userId: number;
  readonly movieId: number;
  readonly predictedRating: number;
  readonly servedAt: number;
  /** Null (the default) for a row from before model versions were tracked. */
  readonly modelVersion?: number | null;
  readonly abTestId?: number | null;
  readonly arm?: string | null;
  /** Position in the list shown; default 1. */
  readonly rank?: number;
}

/**
 * Writes served_recommendations rows directly, for tests that need a history of what was shown
 * (the tracker then classifies later ratings as recommended or unexpected) without running a model.
 */
export async function insertServed(db: Queryable, rows: readonly ServedRow[]): Promise<void> {
  await db.insertMany(
    'served_recommendations',
    ['user_id', 'movie_id', 'model_version', 'ab_test_id', 'arm', 'predicted_rating', 'rank', 'served_at'],
    rows.map((r) => [
      r.userId,
      r.movieId,
      r.modelVersion ?? null,
      r.abTestId ?? null,
      r.arm ?? null,
      r.predictedRating,
      r.rank ?? 1,
      r.servedAt,
    ]),
  );
}
