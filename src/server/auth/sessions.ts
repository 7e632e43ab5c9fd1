import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.ts';
import { SqlAccountStore } from './account-store.ts';

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
  await new SqlAccountStore(db).insertSession(hashToken(token), accountId, now, expiresAt);
  return { token, expiresAt };
}

/** The principal a session token stands for, or anonymous when it is unknown or expired. */
export async function findSession(db: Queryable, token: string, now = Date.now()): Promise<Principal> {
  const row = await new SqlAccountStore(db).findSession(hashToken(token));
  if (!row || row.expiresAt <= now) return { kind: 'anonymous' };
  if (row.isAdmin) return { kind: 'admin', via: 'session' };
  if (row.accountId === null || row.userId === null || row.username === null) return { kind: 'anonymous' };
  return { kind: 'user', accountId: row.accountId, userId: row.userId, username: row.username };
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await new SqlAccountStore(db).deleteSession(hashToken(token));
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: Queryable, now = Date.now()): Promise<number> {
  return new SqlAccountStore(db).deleteExpiredSessions(now);
}
