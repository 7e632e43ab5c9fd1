import type { Migration } from './migration.ts';

/**
 * The fidelity each tuning trial ran at: the share of the ratings its folds were cut from (1 for
 * a full-data trial, as every trial before multi-fidelity tuning was). Successive halving runs
 * most trials on a small share and only the best on all of it; comparing a trial's value with
 * another's is only fair at the same fidelity.
 */
export const trialFidelity: Migration = {
  version: 15,
  name: 'hp_experiments: fidelity (share of the data a trial ran on)',
  async up(db) {
    await db.run('ALTER TABLE hp_experiments ADD COLUMN fidelity DOUBLE PRECISION NOT NULL DEFAULT 1');
  },
};
