import { z } from 'zod';
import type { AnyRoute } from './route-spec.ts';

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
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/** One route's operation object: tags, security, parameters, body and responses. */
function operation(route: AnyRoute): JsonSchema {
  const status = String(route.status ?? 200);
  const content =
    route.status === 204
      ? undefined
      : route.produces
        ? { [route.produces]: { schema: { type: 'string' } } }
        : { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } };
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.access === 'public'
      ? { security: [] }
      : route.access === 'admin'
        ? { security: [{ adminToken: [] }, { adminSession: [] }] }
        : { security: [{ session: [] }] }),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [status]: { description: 'success', ...(content ? { content } : {}) },
      ...(route.params || route.query || route.body
        ? { '400': { description: 'invalid input; the message names the field', content: errorContent } }
        : {}),
      ...(route.access !== 'public'
        ? {
            '401': { description: 'not signed in / no admin token', content: errorContent },
            '403': { description: 'signed in, but not allowed', content: errorContent },
          }
        : {}),
    },
  };
}

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
  return {
    openapi: '3.1.0',
    info: {
      title: 'MovieNight API',
      version: '1',
      description:
        'Movie recommendations that keep themselves accurate. Errors are {"error": {"code", "message"}}.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'mn_session' },
        adminSession: { type: 'apiKey', in: 'cookie', name: 'mn_session' },
        adminToken: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' } },
              required: ['code', 'message'],
            },
          },
          required: ['error'],
        },
      },
    },
    paths,
  };
}
