import type { Queryable } from '../../db/database.ts';

/** An account as stored, password hash included (it never leaves the auth code). */
export interface StoredAccount {
  readonly id: number;
  readonly username: string;
  readonly userId: number;
  readonly passwordHash: string;
  readonly createdAt: number;
}

/** A session as stored, with the account it belongs to (null fields for an admin session). */
export interface StoredSession {
  readonly accountId: number | null;
  readonly isAdmin: boolean;
  readonly expiresAt: number;
  readonly userId: number | null;
  readonly username: string | null;
}

/** Sign-in attempts of one (username, address) pair since its last success. */
export interface SignInAttempts {
  readonly attempts: number;
  readonly lastAttemptAt: number;
}

/**
 * Accounts, sessions, the admin token setting and the sign-in throttle: the tables the auth code
 * reads and writes. Usernames arrive lower-cased; session tokens arrive hashed.
 */
export interface AccountStore {
  findAccountByUsername(username: string): Promise<StoredAccount | undefined>;
  findAccountByUserId(userId: number): Promise<StoredAccount | undefined>;
  /**
   * Creates a user one above every existing user id and an account for it. Call inside a
   * transaction that has locked `users` against other writers, so two sign-ups get distinct ids.
   */
  insertAccountWithNewUser(username: string, passwordHash: string, now: number): Promise<StoredAccount>;
  insertSession(tokenHash: string, accountId: number | null, now: number, expiresAt: number): Promise<void>;
  findSession(tokenHash: string): Promise<StoredSession | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Removes sessions that expired at or before `now`; returns how many. */
  deleteExpiredSessions(now: number): Promise<number>;
  /** Stores the setting unless it is already there; returns the value now stored. */
  settingInsertedOnce(key: string, value: string, now: number): Promise<string>;
  /**
   * The pair's attempts (a zero row is created first), locked against other writers until the
   * transaction ends: call inside a transaction, so parallel attempts are counted one by one.
   */
  lockSignInAttempts(username: string, address: string, now: number): Promise<SignInAttempts>;
  setSignInAttempts(username: string, address: string, attempts: number, at: number): Promise<void>;
  /** Attempts on the username from every address whose last attempt was at or after `since`. */
  recentSignInAttempts(username: string, since: number): Promise<number>;
  clearSignInAttempts(username: string, address: string): Promise<void>;
  /** Whether the account has signed in successfully from the address. */
  isKnownAddress(username: string, address: string): Promise<boolean>;
  rememberAddress(username: string, address: string, now: number): Promise<void>;
}

interface AccountRow {
  id: number;
  username: string;
  user_id: number;
  password_hash: string;
  created_at: number;
}

const toAccount = (r: AccountRow): StoredAccount => ({
  id: r.id,
  username: r.username,
  userId: r.user_id,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
});

const accountColumns = 'id, username, user_id, password_hash, created_at';

/** The account store in SQL, on either database. */
export class SqlAccountStore implements AccountStore {
  constructor(private readonly db: Queryable) {}

  private async account(where: string, value: string | number): Promise<StoredAccount | undefined> {
    const row = await this.db.get<AccountRow>(`SELECT ${accountColumns} FROM accounts WHERE ${where} = ?`, [
      value,
    ]);
    return row ? toAccount(row) : undefined;
  }

  findAccountByUsername(username: string): Promise<StoredAccount | undefined> {
    return this.account('username', username);
  }

  findAccountByUserId(userId: number): Promise<StoredAccount | undefined> {
    return this.account('user_id', userId);
  }

  async insertAccountWithNewUser(
    username: string,
    passwordHash: string,
    now: number,
  ): Promise<StoredAccount> {
    const user = await this.db.get<{ id: number }>(
      'INSERT INTO users (id, created_at) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM users), ?) RETURNING id',
      [now],
    );
    if (!user) throw new Error('user insert returned no row');
    const row = await this.db.get<AccountRow>(
      `INSERT INTO accounts (username, password_hash, user_id, is_admin, created_at) VALUES (?, ?, ?, 0, ?)
       RETURNING ${accountColumns}`,
      [username, passwordHash, user.id, now],
    );
    if (!row) throw new Error('account insert returned no row');
    return toAccount(row);
  }

  async insertSession(
    tokenHash: string,
    accountId: number | null,
    now: number,
    expiresAt: number,
  ): Promise<void> {
    await this.db.run(
      'INSERT INTO sessions (token_hash, account_id, is_admin, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      [tokenHash, accountId, accountId === null ? 1 : 0, now, expiresAt],
    );
  }

  async findSession(tokenHash: string): Promise<StoredSession | undefined> {
    const row = await this.db.get<{
      account_id: number | null;
      is_admin: number;
      expires_at: number;
      user_id: number | null;
      username: string | null;
    }>(
      `SELECT s.account_id, s.is_admin, s.expires_at, a.user_id, a.username
         FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
        WHERE s.token_hash = ?`,
      [tokenHash],
    );
    if (!row) return undefined;
    return {
      accountId: row.account_id,
      isAdmin: row.is_admin !== 0,
      expiresAt: row.expires_at,
      userId: row.user_id,
      username: row.username,
    };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [tokenHash]);
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes;
  }

  async settingInsertedOnce(key: string, value: string, now: number): Promise<string> {
    await this.db.run(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
      [key, value, now],
    );
    const row = await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
    if (!row) throw new Error(`setting ${key} was not stored`);
    return row.value;
  }

  async lockSignInAttempts(username: string, address: string, now: number): Promise<SignInAttempts> {
    await this.db.run(
      `INSERT INTO sign_in_attempts (username, address, attempts, last_attempt_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (username, address) DO NOTHING`,
      [username, address, now],
    );
    const [row] = await this.db.selectForUpdate<{ attempts: number; last_attempt_at: number }>(
      'SELECT attempts, last_attempt_at FROM sign_in_attempts WHERE username = ? AND address = ?',
      [username, address],
    );
    return { attempts: row?.attempts ?? 0, lastAttemptAt: row?.last_attempt_at ?? now };
  }

  async setSignInAttempts(username: string, address: string, attempts: number, at: number): Promise<void> {
    await this.db.run(
      'UPDATE sign_in_attempts SET attempts = ?, last_attempt_at = ? WHERE username = ? AND address = ?',
      [attempts, at, username, address],
    );
  }

  async recentSignInAttempts(username: string, since: number): Promise<number> {
    const row = await this.db.get<{ n: number | null }>(
      'SELECT SUM(attempts) AS n FROM sign_in_attempts WHERE username = ? AND last_attempt_at >= ?',
      [username, since],
    );
    return row?.n ?? 0;
  }

  async clearSignInAttempts(username: string, address: string): Promise<void> {
    await this.db.run('DELETE FROM sign_in_attempts WHERE username = ? AND address = ?', [username, address]);
  }

  async isKnownAddress(username: string, address: string): Promise<boolean> {
    const row = await this.db.get(
      'SELECT 1 AS x FROM sign_in_known_addresses WHERE username = ? AND address = ?',
      [username, address],
    );
    return row !== undefined;
  }

  async rememberAddress(username: string, address: string, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO sign_in_known_addresses (username, address, last_success_at) VALUES (?, ?, ?)
       ON CONFLICT (username, address) DO UPDATE SET last_success_at = excluded.last_success_at`,
      [username, address, now],
    );
  }
}
