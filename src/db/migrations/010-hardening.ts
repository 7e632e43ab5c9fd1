import type { Queryable } from '../database.ts';
import { execScript, type Migration } from './migration.ts';

/**
 * Serving hardening:
 * - `movies.rating_count`: the number of ratings of each movie, kept by triggers on `ratings`, so
 *   the "popular" sort reads a column instead of counting every matching movie's ratings per
 *   request. Triggers catch every writer (the API, imports, another process, a hand edit).
 *   PostgreSQL counts per statement (transition tables), so a bulk import updates each movie once.
 * - `rate_limit_hits`: requests per client key per fixed window, shared by every server process.
 * - `sign_in_attempts`: sign-in attempts per (username, address) pair, counted before the password
 *   is checked, and `sign_in_known_addresses`: where an account last signed in successfully, which
 *   the per-account ceiling on guesses lets through. They replace `sign_in_failures`, which
 *   counted failures after the check (so parallel guesses were all checked) and is dropped.
 */
export const hardening: Migration = {
  version: 10,
  name: 'maintained rating counts, rate limits, sign-in attempts',
  async up(db) {
    await execScript(
      db,
      `
ALTER TABLE movies ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0;
UPDATE movies SET rating_count = (SELECT COUNT(*) FROM ratings r WHERE r.movie_id = movies.id);
CREATE INDEX movies_rating_count ON movies (rating_count DESC, id);
CREATE TABLE rate_limit_hits (
  key TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE TABLE sign_in_attempts (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_attempt_at BIGINT NOT NULL,
  PRIMARY KEY (username, address)
);
CREATE INDEX sign_in_attempts_last ON sign_in_attempts (username, last_attempt_at);
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_known_addresses (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  last_success_at BIGINT NOT NULL,
  PRIMARY KEY (username, address)
)
`,
    );
    if (db.dialect === 'sqlite') await sqliteCountTriggers(db);
    else await postgresCountTriggers(db);
  },
};

async function sqliteCountTriggers(db: Queryable): Promise<void> {
  await db.run(`CREATE TRIGGER ratings_count_insert AFTER INSERT ON ratings BEGIN
    UPDATE movies SET rating_count = rating_count + 1 WHERE id = NEW.movie_id; END`);
  await db.run(`CREATE TRIGGER ratings_count_delete AFTER DELETE ON ratings BEGIN
    UPDATE movies SET rating_count = rating_count - 1 WHERE id = OLD.movie_id; END`);
  await db.run(`CREATE TRIGGER ratings_count_move AFTER UPDATE OF movie_id ON ratings
    WHEN NEW.movie_id <> OLD.movie_id BEGIN
    UPDATE movies SET rating_count = rating_count - 1 WHERE id = OLD.movie_id;
    UPDATE movies SET rating_count = rating_count + 1 WHERE id = NEW.movie_id; END`);
}

async function postgresCountTriggers(db: Queryable): Promise<void> {
  const apply = (rows: string, sign: string) =>
    `UPDATE movies m SET rating_count = m.rating_count ${sign} c.n
       FROM (SELECT movie_id, COUNT(*) AS n FROM ${rows} GROUP BY movie_id) c WHERE m.id = c.movie_id`;
  await db.run(`CREATE FUNCTION ratings_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN ${apply('new_rows', '+')}; RETURN NULL; END $$`);
  await db.run(`CREATE FUNCTION ratings_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN ${apply('old_rows', '-')}; RETURN NULL; END $$`);
  await db.run(`CREATE FUNCTION ratings_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN ${apply('old_rows', '-')}; ${apply('new_rows', '+')}; RETURN NULL; END $$`);
  await db.run(`CREATE TRIGGER ratings_count_insert AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_count_inserted()`);
  await db.run(`CREATE TRIGGER ratings_count_delete AFTER DELETE ON ratings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_count_deleted()`);
  await db.run(`CREATE TRIGGER ratings_count_move AFTER UPDATE ON ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION ratings_count_moved()`);
}
