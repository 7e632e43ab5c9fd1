import type { Database } from '../db/database.ts';
import { SqlServedStore } from './served-store.ts';

const dayMs = 24 * 60 * 60 * 1000;

/** Rows deleted per transaction: short enough that requests and other writers interleave. */
const rowsPerBatch = 5_000;

export interface ServedRetentionSettings {
  /** The tracker's rolling window and the off-policy screen's log window, days. */
  readonly trainingWindowDays: number;
  /** Days served rows are kept; unset: the training window. Never less than it. */
  readonly servedRetentionDays?: number | undefined;
}

/** What one pruning pass did. Plain data for the scheduler's tick. */
export interface ServedPruning {
  /** Rows served before this time (epoch ms) were eligible. */
  readonly cutoff: number;
  readonly deleted: number;
}

/**
 * Days of served rows to keep: the setting, but never less than the training window. The tracker
 * matches a rating only to a list served within that window before it, and the off-policy screen
 * reads the champion's log over the same window, so an older row is read by neither.
 */
export function servedRetentionDays(settings: ServedRetentionSettings): number {
  return Math.max(settings.servedRetentionDays ?? settings.trainingWindowDays, settings.trainingWindowDays);
}

/**
 * Deletes the served rows older than the retention (a running A/B test's rows stay however old:
 * its analysis counts every row since it began), oldest first, `rowsPerBatch` ids per
 * transaction. A pass stops after about `maxRows` deletions, so that the first pass over a long
 * unpruned table does not hold the writer for long; the next pass goes on.
 */
export async function pruneServedRecommendations(
  db: Database,
  settings: ServedRetentionSettings,
  now: number,
  maxRows = 200_000,
): Promise<ServedPruning> {
  const cutoff = now - servedRetentionDays(settings) * dayMs;
  const { first, end } = await new SqlServedStore(db).servedIdBoundary(cutoff);
  let deleted = 0;
  for (let from = first; from < end && deleted < maxRows; from += rowsPerBatch) {
    const to = Math.min(from + rowsPerBatch, end);
    deleted += await db.transaction((tx) => new SqlServedStore(tx).deleteServedBefore(from, to, cutoff));
  }
  return { cutoff, deleted };
}
