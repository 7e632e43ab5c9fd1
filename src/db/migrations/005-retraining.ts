import { execScript, type Migration } from './migration.ts';

/**
 * Live tracking and automatic retraining.
 *
 * - `recommendation_quality` gets one row per (user, movie): a re-rating replaces the rating, so
 *   its quality row is replaced too (upsert on this unique index) instead of counting twice.
 * - `retrain_lock`: one row per lock name. Taken with a conditional UPDATE (free, or its heartbeat
 *   older than the stale limit), which is atomic on SQLite and PostgreSQL alike; the row survives a
 *   crash, and a stale holder is taken over.
 * - `retrain_triggers`: every trigger with its reason, the numbers behind it, and its outcome.
 * - `retrain_steps`: each step of a retrain run, so a crash shows where it stopped.
 */
export const retrainingSchema: Migration = {
  version: 5,
  name: 'retraining: quality upsert key, retrain lock, triggers, steps',
  async up(db, t) {
    await execScript(
      db,
      `
CREATE UNIQUE INDEX quality_user_movie ON recommendation_quality (user_id, movie_id);
CREATE INDEX quality_version ON recommendation_quality (model_version, rated_at);
CREATE INDEX quality_ab ON recommendation_quality (ab_test_id, arm);
CREATE TABLE retrain_lock (
  name TEXT PRIMARY KEY,
  holder TEXT,
  trigger_id INTEGER,
  acquired_at BIGINT,
  heartbeat_at BIGINT
);
INSERT INTO retrain_lock (name) VALUES ('retrain');
CREATE TABLE retrain_triggers (
  id ${t.autoId},
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  numbers TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL,
  outcome TEXT,
  holder TEXT,
  new_version INTEGER,
  ab_test_id INTEGER,
  error TEXT,
  triggered_at BIGINT NOT NULL,
  started_at BIGINT,
  heartbeat_at BIGINT,
  ended_at BIGINT
);
CREATE INDEX retrain_triggers_status ON retrain_triggers (status, triggered_at);
CREATE TABLE retrain_steps (
  trigger_id INTEGER NOT NULL REFERENCES retrain_triggers(id),
  step TEXT NOT NULL,
  status TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  PRIMARY KEY (trigger_id, step)
)
`,
    );
  },
};
