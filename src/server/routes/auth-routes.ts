import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { UnauthorizedError } from '../../errors.ts';
import { checkCredentials, createAccount } from '../auth/accounts.ts';
import { isAdminToken } from '../auth/admin-token.ts';
import { checkPasswordPolicy, minPasswordLength } from '../auth/password-policy.ts';
import { createSession, deleteSession, sessionCookieName } from '../auth/sessions.ts';
import { defaultThrottle, reserveSignInAttempt, signInSucceeded } from '../auth/sign-in-throttle.ts';
import { cameOverTls, clientAddress } from '../client-address.ts';
import { defineRoute } from '../route-spec.ts';
import { meResponse } from '../schemas/people-schemas.ts';
import type { ServerContext } from '../server-context.ts';

const username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(40, 'must be at most 40 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . -');
const password = z
  .string()
  .min(minPasswordLength, `must be at least ${minPasswordLength} characters`)
  .max(200, 'must be at most 200 characters')
  .describe('at least 10 characters, not a common password or a pattern (checked with zxcvbn)');
const credentials = z.object({ username, password }).strict();

/** Sign-in attempts per minute from one address, on every account together. */
const signInsPerAddressPerMinute = 60;

function setSessionCookie(c: Context, server: ServerContext, token: string, expiresAt: number): void {
  setCookie(c, sessionCookieName, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: cameOverTls(c, server.config.trustProxy),
    path: '/',
    expires: new Date(expiresAt),
  });
}

/**
 * Counts a sign-in attempt before any secret is checked: per address on every account (a rate
 * limit), then per (username, address) pair with backoff and a per-account ceiling.
 */
async function countSignIn(c: Context, server: ServerContext, name: string): Promise<string> {
  const address = clientAddress(c, server.config.trustProxy);
  const rule = { limit: signInsPerAddressPerMinute, windowMs: 60_000 };
  await server.limiter.take(`sign-in:${address}`, rule, server.now(), 'signing in from this address');
  const throttle = { ...defaultThrottle, accountCeiling: server.config.signInAccountCeilingPerHour };
  await reserveSignInAttempt(server.db, name, address, server.now(), throttle);
  return address;
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
      checkPasswordPolicy(body.password, body.username);
      const address = clientAddress(c, server.config.trustProxy);
      const rule = { limit: server.config.signUpsPerAddressPerHour, windowMs: 3_600_000 };
      await server.limiter.take(
        `sign-up:${address}`,
        rule,
        server.now(),
        'creating accounts from this address',
      );
      const account = await createAccount(server.db, body.username, body.password, server.now());
      const session = await createSession(server.db, account.id, server.now());
      setSessionCookie(c, server, session.token, session.expiresAt);
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
      const address = await countSignIn(c, server, body.username);
      const account = await checkCredentials(server.db, body.username, body.password);
      if (!account) throw new UnauthorizedError('username or password is wrong');
      await signInSucceeded(server.db, body.username, address, server.now());
      const session = await createSession(server.db, account.id, server.now());
      setSessionCookie(c, server, session.token, session.expiresAt);
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
      const address = await countSignIn(c, server, '(admin)');
      if (!isAdminToken(body.token, server.adminToken)) throw new UnauthorizedError('admin token is wrong');
      await signInSucceeded(server.db, '(admin)', address, server.now());
      const session = await createSession(server.db, null, server.now());
      setSessionCookie(c, server, session.token, session.expiresAt);
      return { kind: 'admin' as const };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/auth/sign-out',
    operationId: 'signOut',
    tag: 'auth',
    summary: "End the current session (the cookie's, or the bearer session token's)",
    access: 'optional',
    setsCookie: true,
    status: 204,
    async handler({ c, server }) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (bearer && !isAdminToken(bearer, server.adminToken)) await deleteSession(server.db, bearer);
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
