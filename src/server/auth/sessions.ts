import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.ts';

/** Who is making a request, once the cookie or bearer token has been checked. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly accountId: number; readonly userId: number; readonly username: string }
  | { readonly kind: 'admin'; readonly via: 'token' | 'session' };

export const sessionCookieName = 'mn_session';

/** How long a session lasts without signing in again. */
export const sessionLifetimeMs = 14 * 24 * 3600 * 1000;

/** Tokens are stored hashed: a copy of the database must not let anyone sign in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Starts a session for an account (or an admin session when `accountId` is null); returns the token. */
export async function createSession(
  db: Queryable,
  accountId: number | null,
  now = Date.now(),
  lifetimeMs = sessionLifetimeMs,
): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + lifetimeMs;
  await db.run(
    'INSERT INTO sessions (token_hash, account_id, is_admin, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    [hashToken(token), accountId, accountId === null ? 1 : 0, now, expiresAt],
  );
  return { token, expiresAt };
}

interface SessionRow {
  account_id: number | null;
  is_admin: number;
  expires_at: number | string;
  user_id: number | null;
  username: string | null;
}

/** The principal a session token stands for, or anonymous when it is unknown or expired. */
export async function findSession(db: Queryable, token: string, now = Date.now()): Promise<Principal> {
  const row = await db.get<SessionRow>(
    `SELECT s.account_id, s.is_admin, s.expires_at, a.user_id, a.username
       FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
      WHERE s.token_hash = ?`,
    [hashToken(token)],
  );
  if (!row || Number(row.expires_at) <= now) return { kind: 'anonymous' };
  if (row.is_admin) return { kind: 'admin', via: 'session' };
  if (row.account_id === null || row.user_id === null || row.username === null) return { kind: 'anonymous' };
  return {
    kind: 'user',
    accountId: Number(row.account_id),
    userId: Number(row.user_id),
    username: row.username,
  };
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.run('DELETE FROM sessions WHERE token_hash = ?', [hashToken(token)]);
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: Queryable, now = Date.now()): Promise<number> {
  return (await db.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes;
}
