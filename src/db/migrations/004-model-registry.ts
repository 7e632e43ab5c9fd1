import { execScript, type Migration } from './migration.ts';

/**
 * Model versions and A/B tests.
 *
 * - `registry_state`: one row whose UPDATE opens every registry write (register, activate,
 *   rollback, challenger moves). On PostgreSQL the row lock serialises writers, so two processes
 *   never both compute the same next version or both move the champion from the same state;
 *   SQLite already serialises writers with BEGIN IMMEDIATE.
 * - `model_aliases`: `champion` and `challenger`, one row each when set (the alias is the primary
 *   key, so there can never be two champions). `updated_at` is what serving processes poll.
 * - `alias_history`: every move of an alias, never updated: time, previous and new version, why,
 *   the A/B test behind it and its numbers.
 * - One running A/B test at a time is a unique partial index, so it holds across processes.
 * - Indexes for the A/B statistics: served recommendations and quality rows by test and arm.
 */
export const modelRegistrySchema: Migration = {
  version: 4,
  name: 'model registry: aliases, alias history, one running A/B test',
  async up(db, t) {
    await execScript(
      db,
      `
CREATE TABLE registry_state (
  id INTEGER PRIMARY KEY,
  generation BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO registry_state (id, generation, updated_at) VALUES (1, 0, 0);
CREATE TABLE model_aliases (
  alias TEXT PRIMARY KEY,
  version INTEGER NOT NULL REFERENCES model_versions(version),
  updated_at BIGINT NOT NULL
);
CREATE TABLE alias_history (
  id ${t.autoId},
  alias TEXT NOT NULL,
  action TEXT NOT NULL,
  previous_version INTEGER,
  new_version INTEGER,
  reason TEXT NOT NULL,
  ab_test_id INTEGER,
  details TEXT NOT NULL DEFAULT '{}',
  moved_at BIGINT NOT NULL
);
CREATE INDEX alias_history_alias ON alias_history (alias, id);
CREATE UNIQUE INDEX ab_tests_one_running ON ab_tests (status) WHERE status = 'running';
CREATE INDEX served_ab ON served_recommendations (ab_test_id, arm, user_id)
`,
    );
  },
};
