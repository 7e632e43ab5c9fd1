import { startTestServer, type TestServer } from '../api/test-server.ts';
import type { DatabaseKind } from '../helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import type { Schema } from './json-schema-check.ts';
import { check } from './json-schema-check.ts';

export type OpenApiDocument = {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly [key: string]: unknown;
};
export interface Operation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly security: readonly Record<string, unknown>[];
  readonly responses: Record<
    string,
    { readonly $ref?: string; readonly content?: Record<string, { schema: Schema }> }
  >;
}

/** A served app over a small generated world: a champion (v1), a second version (v2), its document. */
export interface ContractWorld {
  readonly t: TestServer;
  readonly v1: number;
  readonly v2: number;
  readonly document: OpenApiDocument;
}

export async function startContractWorld(kind: DatabaseKind): Promise<ContractWorld> {
  const t = await startTestServer(kind);
  await generateSmallWorld(t.db, { users: 40, movies: 100, ratings: 600 });
  const v1 = await trainVersion(t.db, 'baseline', { seed: 1 });
  const v2 = await trainVersion(t.db, 'baseline', { seed: 2, activate: false });
  const document = (await t.request('GET', '/openapi.json')).json as OpenApiDocument;
  return { t, v1, v2, document };
}

/** Every operation of the document with its method and path. */
export function operations(document: OpenApiDocument): { method: string; path: string; op: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ method, path, op })),
  );
}

/** The document's operation that serves `method path` (`/api/movies/7` → `/api/movies/{id}`). */
export function findOperation(document: OpenApiDocument, method: string, url: string): Operation | undefined {
  const path = new URL(url, 'http://x').pathname;
  const m = method.toLowerCase();
  // A literal path wins over a parameter (`/versions/history` over `/versions/{version}`).
  const exact = document.paths[path]?.[m];
  if (exact) return exact;
  const template = Object.keys(document.paths).find(
    (p) => document.paths[p]?.[m] && new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  return template ? document.paths[template]?.[m] : undefined;
}

/**
 * What is wrong with an answer according to the document: a status the operation does not
 * document, a content type it does not name, or a JSON body that does not fit the schema.
 */
export function answerProblems(
  document: OpenApiDocument,
  op: Operation,
  status: number,
  contentType: string,
  body: unknown,
): string[] {
  let response = op.responses[String(status)];
  if (!response) return [`status ${status} is not documented`];
  if (response.$ref) response = resolveRef(document, response.$ref);
  const content = response.content;
  if (!content) return body === undefined ? [] : [`status ${status} documents no body, got one`];
  const media = Object.keys(content).find((m) => contentType.startsWith(m.split(';')[0] ?? m));
  if (!media) return [`content type ${contentType} is not one of ${Object.keys(content).join(', ')}`];
  if (!media.includes('json')) return [];
  return check(document, body, content[media]!.schema);
}

function resolveRef(document: OpenApiDocument, ref: string): Operation['responses'][string] {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
  return node as Operation['responses'][string];
}
