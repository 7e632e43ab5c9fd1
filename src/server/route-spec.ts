import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from './auth/sessions.ts';
import type { ServerContext } from './server-context.ts';

/**
 * Who may call a route: anyone (`public`), anyone with the caller's session used when there is one
 * (`optional`), a signed-in user acting as themselves (`user`), a user or the admin (`signed-in`),
 * or the admin (`admin`).
 */
export type Access = 'public' | 'optional' | 'user' | 'signed-in' | 'admin';

export type SignedInUser = Extract<Principal, { kind: 'user' }>;
export type SignedIn = Exclude<Principal, { kind: 'anonymous' }>;

/** Error statuses a route documents beyond those every route of its kind has (400, 401, 403, 429). */
export type RouteErrorStatus = 404 | 409 | 503;

export interface RouteInput<P, Q, B, A extends Access> {
  readonly c: Context;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The caller: a user on `user` routes, a user or the admin on `signed-in` and `admin` routes. */
  readonly principal: A extends 'user'
    ? SignedInUser
    : A extends 'signed-in' | 'admin'
      ? SignedIn
      : Principal;
  readonly server: ServerContext;
}

/** A JSON value as a handler may return it: the schema's type, with arrays and fields readonly. */
export type JsonOf<T> = T extends readonly (infer U)[]
  ? readonly JsonOf<U>[]
  : T extends object
    ? { readonly [K in keyof T]: JsonOf<T[K]> }
    : T;

/**
 * What a handler returns: data of its response schema (sent as JSON with the route's status), or a
 * Response built by hand (charts, pages). A route without a response schema answers with no body.
 */
export type RouteResult<RS extends z.ZodType | undefined> = RS extends z.ZodType
  ? JsonOf<z.output<RS>> | Response
  : undefined | Response;

/**
 * One route: its method, path, who may call it, the zod schemas of its path parameters, query,
 * body and answer. The same object is registered with Hono and described in /openapi.json, so the
 * document cannot drift from what the server validates, and a handler's return type comes from the
 * response schema.
 */
export interface RouteSpec<
  PS extends z.ZodType = z.ZodType,
  QS extends z.ZodType = z.ZodType,
  BS extends z.ZodType = z.ZodType,
  A extends Access = Access,
  RS extends z.ZodType | undefined = z.ZodType | undefined,
  OP extends string = string,
> {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono path pattern, e.g. `/api/movies/:id`. */
  readonly path: string;
  /** Unique name of the operation in the document (the method name of a generated client). */
  readonly operationId: OP;
  readonly tag: string;
  readonly summary: string;
  /** Longer text for the document, when the summary is not enough. */
  readonly description?: string;
  readonly access: A;
  readonly params?: PS;
  readonly query?: QS;
  readonly body?: BS;
  /** Status of a successful answer (default 200). */
  readonly status?: 200 | 201 | 202 | 204;
  /** Schema of the successful JSON answer; the handler's return type follows from it. */
  readonly response?: RS;
  /** Content type when not JSON (SVG charts, Prometheus text, HTML). */
  readonly produces?: string;
  /** Error statuses this route can answer beyond the ones every route of its access has. */
  readonly errors?: readonly RouteErrorStatus[];
  /** The answer sets (or clears) the session cookie. */
  readonly setsCookie?: boolean;
  /** A 503 answer carries the route's own response schema (a readiness probe says what is wrong). */
  readonly unavailableWithBody?: boolean;
  handler(input: RouteInput<z.infer<PS>, z.infer<QS>, z.infer<BS>, A>): Promise<RouteResult<RS>>;
}

/**
 * Helps TypeScript infer the schema types of a route (and its operationId as a literal, so a list
 * of routes can be searched by it at type level); returns it unchanged.
 */
export function defineRoute<
  PS extends z.ZodType = z.ZodUndefined,
  QS extends z.ZodType = z.ZodUndefined,
  BS extends z.ZodType = z.ZodUndefined,
  A extends Access = Access,
  RS extends z.ZodType | undefined = undefined,
  const OP extends string = string,
>(spec: RouteSpec<PS, QS, BS, A, RS, OP>): RouteSpec<PS, QS, BS, A, RS, OP> {
  return spec;
}

/**
 * A route with its schema types erased, as kept in the route lists. `handler` is declared as a
 * method, so a route with narrower input types is still assignable (method parameters are
 * checked bivariantly); the server validates input with the route's own schemas before calling it.
 */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access, z.ZodType | undefined>;

/**
 * The request body a route of a route list takes, found by operationId:
 * `RouteBody<typeof ratingRoutes, 'rateMovie'>` is `{ movieId: number; rating: number; … }`.
 */
export type RouteBody<L extends readonly unknown[], OP extends string> =
  Extract<L[number], { readonly operationId: OP }> extends { readonly body?: infer B }
    ? B extends z.ZodType
      ? z.input<B>
      : never
    : never;
