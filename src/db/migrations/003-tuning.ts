import { execScript, type Migration } from './migration.ts';

/**
 * Hyperparameter tuning. hp_tuning_history and hp_experiments exist since 001; this adds
 * what resuming and retrying need:
 * - `owner` of a run (host:pid:token) so that a resume can tell a dead owner from a live one
 *   without waiting for its heartbeat to go stale when both are on the same host;
 * - `retry_of` on a trial: the number of the failed trial whose configuration it runs again
 *   (a failed trial never changes; the retry is a new trial with the next number);
 * - indexes for the warm start (earlier runs of a model on the same data) and for state scans.
 */
export const tuningSchema: Migration = {
  version: 3,
  name: 'tuning: run owner, trial retries, warm-start and state indexes',
  async up(db) {
    await execScript(
      db,
      `
ALTER TABLE hp_tuning_history ADD COLUMN owner TEXT;
ALTER TABLE hp_experiments ADD COLUMN retry_of INTEGER;
CREATE INDEX hp_history_model_data ON hp_tuning_history (model, data_fingerprint, objective);
CREATE INDEX hp_experiments_state ON hp_experiments (run_id, state)
`,
    );
  },
};
