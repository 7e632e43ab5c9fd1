import { execScript, type Migration } from './migration.ts';

/**
 * Web accounts and their sessions. An account links to a row of `users`, so a person who
 * signs up rates and gets recommendations like any imported user. Session tokens and passwords are
 * never stored as given: sessions keep a SHA-256 of the token, accounts a salted scrypt hash.
 * `settings` holds small server-wide values that must survive a restart (the generated admin token, kept as
 * is because the server prints it at every start).
 * `sign_in_failures` is the backoff state for repeated failed sign-ins, per username and address,
 * kept in the database so that restarting the server does not reset an attacker's delay.
 */
export const accountsAndSessions: Migration = {
  version: 6,
  name: 'accounts and sessions',
  async up(db, t) {
    await execScript(
      db,
      `
CREATE TABLE accounts (
  id ${t.autoId},
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
  is_admin INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  account_id INTEGER REFERENCES accounts(id),
  is_admin INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE sign_in_failures (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  failures INTEGER NOT NULL,
  last_failure_at BIGINT NOT NULL,
  PRIMARY KEY (username, address)
)
`,
    );
  },
};
