import { execScript, type Migration } from './migration.ts';

/**
 * The core tables: catalogue, ratings, what was served, tuning history, model versions, A/B tests
 * and recommendation quality. Times are BIGINT epoch milliseconds; JSON is TEXT; booleans are 0/1
 * integers.
 */
export const coreSchema: Migration = {
  version: 1,
  name: 'core schema',
  /**
   * This is long because it is the one DDL script of the first schema, a statement per table and
   * index; a released migration never changes, so it is not split.
   */
  async up(db, t) {
    await execScript(
      db,
      `
CREATE TABLE movies (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  year INTEGER,
  genres TEXT NOT NULL DEFAULT ''
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  created_at BIGINT NOT NULL
);
CREATE TABLE ratings (
  user_id INTEGER NOT NULL REFERENCES users(id),
  movie_id INTEGER NOT NULL REFERENCES movies(id),
  rating DOUBLE PRECISION NOT NULL,
  rated_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX ratings_movie ON ratings (movie_id);
CREATE INDEX ratings_rated_at ON ratings (rated_at);
CREATE TABLE served_recommendations (
  id ${t.autoId},
  user_id INTEGER NOT NULL REFERENCES users(id),
  movie_id INTEGER NOT NULL REFERENCES movies(id),
  model_version INTEGER,
  ab_test_id INTEGER,
  arm TEXT,
  predicted_rating DOUBLE PRECISION NOT NULL,
  rank INTEGER NOT NULL,
  served_at BIGINT NOT NULL
);
CREATE INDEX served_user_movie ON served_recommendations (user_id, movie_id, served_at);
CREATE INDEX served_at ON served_recommendations (served_at);
CREATE TABLE hp_tuning_history (
  id TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  model TEXT NOT NULL,
  objective TEXT NOT NULL,
  direction TEXT NOT NULL,
  data_fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  trials_planned INTEGER NOT NULL,
  trials_done INTEGER NOT NULL DEFAULT 0,
  best_value DOUBLE PRECISION,
  best_trial_number INTEGER,
  best_params TEXT,
  config TEXT NOT NULL DEFAULT '{}',
  heartbeat_at BIGINT,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  error TEXT
);
CREATE TABLE hp_experiments (
  run_id TEXT NOT NULL REFERENCES hp_tuning_history(id),
  number INTEGER NOT NULL,
  params TEXT NOT NULL,
  state TEXT NOT NULL,
  value DOUBLE PRECISION,
  metrics TEXT,
  intermediate_values TEXT NOT NULL DEFAULT '[]',
  duration_ms DOUBLE PRECISION,
  error TEXT,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  heartbeat_at BIGINT,
  PRIMARY KEY (run_id, number)
);
CREATE TABLE model_versions (
  version INTEGER PRIMARY KEY,
  model_kind TEXT NOT NULL,
  params TEXT NOT NULL,
  train_rows INTEGER NOT NULL,
  train_from BIGINT,
  train_to BIGINT,
  data_fingerprint TEXT NOT NULL,
  parent_version INTEGER REFERENCES model_versions(version),
  tuning_run_id TEXT,
  tuning_trial_number INTEGER,
  metrics TEXT NOT NULL DEFAULT '{}',
  artifact ${t.blob},
  artifact_checksum TEXT,
  artifact_format INTEGER,
  artifact_bytes INTEGER,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE recommendation_quality (
  id ${t.autoId},
  user_id INTEGER NOT NULL REFERENCES users(id),
  movie_id INTEGER NOT NULL REFERENCES movies(id),
  model_version INTEGER,
  ab_test_id INTEGER,
  arm TEXT,
  unexpected INTEGER NOT NULL,
  predicted_rating DOUBLE PRECISION,
  actual_rating DOUBLE PRECISION NOT NULL,
  error DOUBLE PRECISION,
  liked_predicted INTEGER,
  liked_actual INTEGER NOT NULL,
  hit INTEGER,
  served_at BIGINT,
  rated_at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX quality_rated_at ON recommendation_quality (rated_at);
CREATE INDEX quality_movie ON recommendation_quality (movie_id);
CREATE TABLE ab_tests (
  id ${t.autoId},
  champion_version INTEGER NOT NULL REFERENCES model_versions(version),
  challenger_version INTEGER NOT NULL REFERENCES model_versions(version),
  traffic DOUBLE PRECISION NOT NULL,
  min_samples INTEGER NOT NULL,
  max_days DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL,
  decision TEXT,
  decision_reason TEXT,
  stats TEXT,
  started_at BIGINT NOT NULL,
  ended_at BIGINT
)
`,
    );
  },
};
