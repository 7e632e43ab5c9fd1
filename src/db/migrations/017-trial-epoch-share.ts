import type { Migration } from './migration.ts';

/**
 * The share of its configuration's epochs each tuning trial fitted (1 for every trial before
 * epochs were a fidelity). Successive halving's early rungs fit a fraction of each configuration's
 * epochs as well as of the ratings; a trial's value compares with another's only at the same
 * shares of both, and a run reuses or warm-starts from earlier trials only at its own.
 */
export const trialEpochShare: Migration = {
  version: 17,
  name: 'hp_experiments: epoch_share (share of the epochs a trial fitted)',
  async up(db) {
    await db.run('ALTER TABLE hp_experiments ADD COLUMN epoch_share DOUBLE PRECISION NOT NULL DEFAULT 1');
  },
};
