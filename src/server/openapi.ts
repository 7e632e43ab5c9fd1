import { z } from 'zod';
import type { Access, AnyRoute } from './route-spec.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Path and query schemas are objects; OpenAPI wants one parameter per property. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** `/api/movies/:id` → `/api/movies/{id}` */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * The one error body every failure has: `{"error": {"code", "message"}}`. `code` is stable and
 * machine-readable (`invalid_input`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
 * `too_many_attempts`, `payload_too_large`, `internal` …); `message` is written to be shown.
 */
export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('stable, machine-readable: invalid_input, not_found, conflict, …'),
        message: z.string().describe('what was wrong, written to be shown; names the field for bad input'),
      })
      .describe('what went wrong'),
  })
  .describe('The body of every error answer');

/** Reusable error answers, by status; each route lists the ones it can give. */
const errorResponses: Record<string, JsonSchema> = {
  BadRequest: { description: 'invalid input; the message names the part and the field (`body.rating: …`)' },
  Unauthorized: {
    description: 'not signed in, a wrong password or token, or a bearer token that is not valid',
  },
  Forbidden: {
    description:
      'the credentials do not allow this (a user session on an admin route, another user’s data), or a cross-site request was refused',
  },
  NotFound: { description: 'what the path names does not exist' },
  Conflict: {
    description: 'the request conflicts with the current state (it is already so, or already running)',
  },
  PayloadTooLarge: { description: 'the body is larger than 64 KiB' },
  UnsupportedMediaType: {
    description: 'a request with the session cookie that changes state must send a JSON content type',
  },
  ServiceUnavailable: { description: 'the work took longer than its deadline and was stopped' },
  TooManyRequests: {
    description: 'too many requests or failed sign-ins from this client; wait `Retry-After` seconds',
    headers: {
      'Retry-After': {
        description: 'seconds to wait before trying again',
        schema: { type: 'integer', minimum: 0 },
      },
    },
  },
};

const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const sessionCookieHeader = {
  'Set-Cookie': {
    description:
      'the session cookie `mn_session` (HttpOnly, SameSite=Lax, Path=/, Secure over https); on sign-out it is cleared',
    schema: { type: 'string' },
  },
};

const securityByAccess: Record<Access, JsonSchema[]> = {
  public: [],
  optional: [{}, { sessionCookie: [] }, { sessionToken: [] }],
  user: [{ sessionCookie: [] }, { sessionToken: [] }],
  'signed-in': [{ sessionCookie: [] }, { sessionToken: [] }, { adminToken: [] }],
  admin: [{ adminToken: [] }, { sessionCookie: [] }, { sessionToken: [] }],
};

function successResponse(route: AnyRoute): JsonSchema {
  const content =
    route.status === 204
      ? undefined
      : route.produces
        ? { [route.produces]: { schema: { type: 'string' } } }
        : { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } };
  return {
    description: route.status === 204 ? 'done; no body' : 'success',
    ...(route.setsCookie ? { headers: sessionCookieHeader } : {}),
    ...(content ? { content } : {}),
  };
}

/**
 * The error answers a route can give: 400 for input it validates, 401 for a bearer token that is
 * not valid (checked on every request) or missing credentials, 403 when the credentials do not
 * allow it or a state-changing request is cross-site, 404/409 as the route declares, 413 for a body
 * over the limit, 415 for a cookie request that changes state without JSON, 429 from the rate
 * limits on /api, 503 as the route declares.
 */
function errorStatuses(route: AnyRoute): Record<string, JsonSchema> {
  const api = route.path.startsWith('/api/');
  const unsafe = route.method !== 'get';
  const out: Record<string, JsonSchema> = {};
  if (route.params || route.query || route.body) out['400'] = errorRef('BadRequest');
  out['401'] = errorRef('Unauthorized');
  if (!['public', 'optional'].includes(route.access) || (api && unsafe)) out['403'] = errorRef('Forbidden');
  if (route.errors?.includes(404)) out['404'] = errorRef('NotFound');
  if (route.errors?.includes(409)) out['409'] = errorRef('Conflict');
  if (api && unsafe) out['413'] = errorRef('PayloadTooLarge');
  if (api && unsafe && ['user', 'signed-in', 'admin'].includes(route.access)) {
    out['415'] = errorRef('UnsupportedMediaType');
  }
  if (route.errors?.includes(503)) {
    out['503'] = route.unavailableWithBody
      ? { ...successResponse(route), description: 'not available; the body says why' }
      : errorRef('ServiceUnavailable');
  }
  if (api) out['429'] = errorRef('TooManyRequests');
  return out;
}

/** One route's operation object: id, tags, security, parameters, body and responses. */
function operation(route: AnyRoute): JsonSchema {
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: securityByAccess[route.access],
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse(undefined).success,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: { [String(route.status ?? 200)]: successResponse(route), ...errorStatuses(route) },
  };
}

const securitySchemes = {
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'mn_session',
    description: 'the session cookie set by sign-up, sign-in or admin sign-in',
  },
  sessionToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'the same session token, sent as `Authorization: Bearer <token>`',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'the admin token printed by `movienight serve`, as `Authorization: Bearer <token>`',
  },
};

/**
 * The OpenAPI 3.1 document, generated from the same route objects and zod schemas the server
 * validates with (zod 4 writes JSON Schema, which OpenAPI 3.1 uses as is).
 */
export function buildOpenApiDocument(routes: readonly AnyRoute[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'MovieNight API',
      version: '1',
      description:
        'Movie recommendations that keep themselves accurate. Errors are {"error": {"code", "message"}}.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'the server this document is served from' }],
    components: {
      securitySchemes,
      schemas: { Error: jsonSchema(errorSchema, 'output') },
      responses: Object.fromEntries(
        Object.entries(errorResponses).map(([name, r]) => [name, { ...r, content: errorContent }]),
      ),
    },
    paths,
  };
}
