import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from './auth/sessions.ts';
import type { ServerContext } from './server-context.ts';

/** Who may call a route: anyone, a signed-in user (acting as themselves), or an admin. */
export type Access = 'public' | 'user' | 'admin';

export type SignedInUser = Extract<Principal, { kind: 'user' }>;

export interface RouteInput<P, Q, B, A extends Access> {
  readonly c: Context;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The caller: a user on `user` routes, an admin on `admin` routes. */
  readonly principal: A extends 'user' ? SignedInUser : Principal;
  readonly server: ServerContext;
}

/**
 * One route: its method, path, who may call it, and the zod schemas of its path parameters, query
 * and body. The same object is registered with Hono and described in /openapi.json, so the
 * document cannot drift from what the server validates. A handler returns plain data (sent as
 * JSON 200) or a Response.
 */
export interface RouteSpec<
  PS extends z.ZodType = z.ZodType,
  QS extends z.ZodType = z.ZodType,
  BS extends z.ZodType = z.ZodType,
  A extends Access = Access,
> {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono path pattern, e.g. `/api/movies/:id`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly access: A;
  readonly params?: PS;
  readonly query?: QS;
  readonly body?: BS;
  /** Status of a successful answer (default 200). */
  readonly status?: 200 | 201 | 202 | 204;
  /** Schema of the successful JSON answer, for the document only. */
  readonly response?: z.ZodType;
  /** Content type when not JSON (SVG charts, Prometheus text). */
  readonly produces?: string;
  handler(input: RouteInput<z.infer<PS>, z.infer<QS>, z.infer<BS>, A>): Promise<unknown>;
}

/** Helps TypeScript infer the schema types of a route; returns it unchanged. */
export function defineRoute<
  PS extends z.ZodType = z.ZodUndefined,
  QS extends z.ZodType = z.ZodUndefined,
  BS extends z.ZodType = z.ZodUndefined,
  A extends Access = Access,
>(spec: RouteSpec<PS, QS, BS, A>): RouteSpec<PS, QS, BS, A> {
  return spec;
}

/**
 * A route with its schema types erased, as kept in the route lists. `handler` is declared as a
 * method, so a route with narrower input types is still assignable (method parameters are
 * checked bivariantly); the server validates input with the route's own schemas before calling it.
 */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access>;
