import { type Config, loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createApp, type MovieNightApp } from '../../src/server/create-app.ts';
import { type DatabaseKind, sqliteKind, type TestDatabase } from '../helpers/databases.ts';

export const adminToken = 'test-admin-token-0123456789';

export interface TestServer {
  readonly db: Database;
  readonly server: MovieNightApp;
  readonly testDb: TestDatabase;
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      rawBody?: string;
      cookie?: string;
      token?: string;
      contentType?: string;
      /** Extra request headers, set last (they win over the ones above). */
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; json: unknown; text: string; headers: Headers }>;
  /** Signs up a new user; returns the session cookie and user id. */
  signUp(username: string, password?: string): Promise<{ cookie: string; userId: number }>;
  close(): Promise<void>;
}

/** A handful of movies, enough for search, genre and year filters. */
export async function insertCatalog(db: Database): Promise<void> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    [
      [1, 'Toy Story (1995)', 1995, 'Adventure|Animation|Children|Comedy|Fantasy'],
      [2, 'Jumanji (1995)', 1995, 'Adventure|Children|Fantasy'],
      [3, 'Heat (1995)', 1995, 'Action|Crime|Thriller'],
      [4, 'The Matrix (1999)', 1999, 'Action|Sci-Fi|Thriller'],
      [5, '100% Love (2001)', 2001, 'Comedy|Romance'],
      [6, 'Alien (1979)', 1979, 'Horror|Sci-Fi'],
    ],
  );
}

/** The config tests run with: defaults, no file, no environment, no request log. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel: 'silent', ...overrides } });
}

export async function startTestServer(
  kind: DatabaseKind = sqliteKind,
  overrides: Partial<Config> = {},
  /** A fixed clock for the server (default the real one). */
  now?: () => number,
): Promise<TestServer> {
  const testDb = await kind.create();
  const db = testDb.db;
  const server = createApp({
    db,
    config: testConfig(overrides),
    ...(now ? { now } : {}),
    adminToken,
    webDist: null,
    servingStalenessMs: 0,
    checkResponses: true,
  });
  const request: TestServer['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined || options.rawBody !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    if (options.cookie) {
      headers.cookie = options.cookie;
      // What the browser app sends: its own origin, and JSON on every state-changing request.
      headers.origin = 'http://localhost';
      if (method !== 'GET') headers['content-type'] = options.contentType ?? 'application/json';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    Object.assign(headers, options.headers);
    const response = await server.app.request(path, {
      method,
      headers,
      ...(options.rawBody !== undefined
        ? { body: options.rawBody }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text, headers: response.headers };
  };
  return {
    db,
    server,
    testDb,
    request,
    async signUp(username, password = 'correct horse battery') {
      const r = await request('POST', '/api/auth/sign-up', { body: { username, password } });
      if (r.status !== 201) throw new Error(`sign-up failed: ${r.status} ${r.text}`);
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { cookie, userId: (r.json as { userId: number }).userId };
    },
    async close() {
      await server.close();
      await testDb.drop();
    },
  };
}

/** The error message of a 4xx answer. */
export function errorMessage(json: unknown): string {
  return (json as { error?: { message?: string } } | undefined)?.error?.message ?? '';
}
