import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { UnauthorizedError } from '../../errors.ts';
import { checkCredentials, createAccount } from '../auth/accounts.ts';
import { isAdminToken } from '../auth/admin-token.ts';
import { createSession, deleteSession, sessionCookieName } from '../auth/sessions.ts';
import { checkSignInAllowed, clearSignInFailures, recordSignInFailure } from '../auth/sign-in-throttle.ts';
import { defineRoute } from '../route-spec.ts';
import { meResponse } from '../schemas/people-schemas.ts';

const username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(40, 'must be at most 40 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . -');
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters');
const credentials = z.object({ username, password }).strict();

/** The peer address (not X-Forwarded-For, which any client can forge). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

function setSessionCookie(c: Context, token: string, expiresAt: number): void {
  setCookie(c, sessionCookieName, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c),
    path: '/',
    expires: new Date(expiresAt),
  });
}

export const authRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/auth/sign-up',
    operationId: 'signUp',
    tag: 'auth',
    summary: 'Create an account (and a new user id) and sign in',
    access: 'public',
    errors: [409],
    setsCookie: true,
    body: credentials,
    status: 201,
    response: meResponse,
    async handler({ c, body, server }) {
      const account = await createAccount(server.db, body.username, body.password, server.now());
      const session = await createSession(server.db, account.id, server.now());
      setSessionCookie(c, session.token, session.expiresAt);
      return { kind: 'user' as const, userId: account.userId, username: account.username };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/auth/sign-in',
    operationId: 'signIn',
    tag: 'auth',
    summary: 'Sign in with username and password (repeated failures are slowed down: 429)',
    access: 'public',
    setsCookie: true,
    body: z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict(),
    response: meResponse,
    async handler({ c, body, server }) {
      const address = clientAddress(c);
      await checkSignInAllowed(server.db, body.username, address, server.now());
      const account = await checkCredentials(server.db, body.username, body.password);
      if (!account) {
        await recordSignInFailure(server.db, body.username, address, server.now());
        throw new UnauthorizedError('username or password is wrong');
      }
      await clearSignInFailures(server.db, body.username, address);
      const session = await createSession(server.db, account.id, server.now());
      setSessionCookie(c, session.token, session.expiresAt);
      return { kind: 'user' as const, userId: account.userId, username: account.username };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/sign-in',
    operationId: 'adminSignIn',
    tag: 'auth',
    summary: 'Exchange the admin token for an admin session cookie (for the dashboard)',
    access: 'public',
    setsCookie: true,
    body: z.object({ token: z.string().min(1).max(500) }).strict(),
    response: meResponse,
    async handler({ c, body, server }) {
      const address = clientAddress(c);
      await checkSignInAllowed(server.db, '(admin)', address, server.now());
      if (!isAdminToken(body.token, server.adminToken)) {
        await recordSignInFailure(server.db, '(admin)', address, server.now());
        throw new UnauthorizedError('admin token is wrong');
      }
      await clearSignInFailures(server.db, '(admin)', address);
      const session = await createSession(server.db, null, server.now());
      setSessionCookie(c, session.token, session.expiresAt);
      return { kind: 'admin' as const };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/auth/sign-out',
    operationId: 'signOut',
    tag: 'auth',
    summary: 'End the current session',
    access: 'optional',
    setsCookie: true,
    status: 204,
    async handler({ c, server }) {
      const token = getCookie(c, sessionCookieName);
      if (token) await deleteSession(server.db, token);
      deleteCookie(c, sessionCookieName, { path: '/' });
      return undefined;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/auth/me',
    operationId: 'whoAmI',
    tag: 'auth',
    summary: 'Who the caller is: anonymous, a user, or the admin',
    access: 'optional',
    response: meResponse,
    async handler({ principal }) {
      if (principal.kind === 'user')
        return { kind: 'user' as const, userId: principal.userId, username: principal.username };
      return { kind: principal.kind };
    },
  }),
];
