import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { createApp, type MovieNightApp } from '../../src/server/create-app.ts';
import type { AnyRoute } from '../../src/server/route-spec.ts';
import { allRoutes } from '../../src/server/routes/index.ts';
import { adminToken, testConfig } from '../api/test-server.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';

/**
 * Generated requests against every route of the server, in process (`app.request`, SQLite in
 * memory): path parameters, query strings and bodies drawn around each route's own schema (its
 * keys with plausible and implausible values), plus arbitrary JSON, broken JSON and wrong content
 * types, each as an anonymous caller, a signed-in user and the admin. No answer may be a 5xx.
 * Routes that start heavy work (a retrain, a tuning run, the impact report) get only bodies their
 * schema refuses when sent as the admin, so the run stays short.
 */
const totalRuns = 10_000;
const seed = 20_261_203;

const heavyAdminRoutes = new Set(['POST /api/admin/retrain', 'POST /api/admin/tuning/runs']);

/** The keys of an object schema (through optional/default wrappers), or none. */
function keysOf(schema: z.ZodType | undefined): string[] {
  let s = schema as { def?: { type?: string; innerType?: z.ZodType }; shape?: object } | undefined;
  while (s?.def && (s.def.type === 'optional' || s.def.type === 'default') && s.def.innerType) {
    s = s.def.innerType as typeof s;
  }
  return s?.shape ? Object.keys(s.shape) : [];
}

const oddText = fc.constantFrom(
  '',
  '0',
  '-1',
  '1',
  '2',
  '3',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '9007199254740993',
  '2147483648',
  '%00',
  '../../etc/passwd',
  'popular',
  'title',
  'true',
  'status',
  'unexpected',
  'tuning',
  'impact',
  'champion',
  'Comedy',
  'a'.repeat(500),
);
const textValue = fc.oneof(
  oddText,
  fc.string({ maxLength: 30 }),
  fc.integer().map(String),
  fc.double().map(String),
);
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 2, 3.5, 4, 5, 1e308, -0, 8_640_000_000_000_000, 2_147_483_648),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 40 }),
  oddText,
  fc.jsonValue({ maxDepth: 2 }),
);

/** A body: an object over the schema's keys (and sometimes one more), any JSON, or broken text. */
function bodyOf(route: AnyRoute): fc.Arbitrary<{ text: string; type: string } | undefined> {
  const keys = keysOf(route.body);
  const shaped = fc
    .tuple(
      fc.subarray(keys),
      fc.array(jsonValue, { minLength: keys.length, maxLength: keys.length }),
      fc.boolean(),
    )
    .map(([chosen, values, extra]) => {
      const object: Record<string, unknown> = {};
      chosen.forEach((k, i) => {
        object[k] = values[i];
      });
      if (extra) object.unexpectedKey = 1;
      return object;
    });
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map((o) => ({ text: JSON.stringify(o), type: 'application/json' })) },
    {
      weight: 2,
      arbitrary: fc.jsonValue().map((v) => ({ text: JSON.stringify(v), type: 'application/json' })),
    },
    { weight: 1, arbitrary: fc.string().map((text) => ({ text, type: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.string().map((text) => ({ text, type: 'application/x-www-form-urlencoded' })),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A path with each `:param` filled, and a query string over the schema's keys. */
function urlOf(route: AnyRoute): fc.Arbitrary<string> {
  const params = route.path.split('/').filter((p) => p.startsWith(':'));
  const queryKeys = [...keysOf(route.query), 'unknown'];
  return fc
    .tuple(
      fc.array(textValue, { minLength: params.length, maxLength: params.length }),
      fc.array(fc.tuple(fc.constantFrom(...queryKeys), textValue), { maxLength: 4 }),
    )
    .map(([values, pairs]) => {
      let i = 0;
      const path = route.path.replace(/:\w+/g, () => encodeURIComponent(values[i++] || 'x'));
      const query = new URLSearchParams(pairs).toString();
      return query ? `${path}?${query}` : path;
    });
}

type Caller = 'anonymous' | 'user' | 'admin';

interface Fixture {
  readonly db: Database;
  readonly app: MovieNightApp;
  readonly userCookie: string;
}

async function startFixture(): Promise<Fixture> {
  const db = await openDatabase(':memory:');
  await generateSmallWorld(db);
  await trainVersion(db, 'baseline', { seed: 1 });
  const config = testConfig({
    rateLimitAnonymousPerMinute: 0,
    rateLimitAccountPerMinute: 0,
    signUpsPerAddressPerHour: 0,
  });
  const app = createApp({ db, config, adminToken, webDist: null, servingStalenessMs: 0 });
  const signUp = await app.app.request('/api/auth/sign-up', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'fuzz-user', password: 'a-sound-passphrase' }),
  });
  const userCookie = (signUp.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { db, app, userCookie };
}

/** One generated request; returns its status. */
async function send(
  f: Fixture,
  route: AnyRoute,
  url: string,
  body: { text: string; type: string } | undefined,
  caller: Caller,
): Promise<number> {
  const headers: Record<string, string> = {};
  if (caller === 'admin') headers.authorization = `Bearer ${adminToken}`;
  if (caller === 'user') {
    headers.cookie = f.userCookie;
    headers.origin = 'http://localhost';
  }
  let sent = body;
  if (caller === 'admin' && heavyAdminRoutes.has(`${route.method.toUpperCase()} ${route.path}`)) {
    sent = { text: '{"unexpectedKey":1}', type: 'application/json' };
  }
  const target = caller === 'admin' ? url.replace(/\/reports\/impact(\/|\?|$)/, '/reports/impact-x$1') : url;
  if (sent) headers['content-type'] = sent.type;
  const method = route.method.toUpperCase();
  const init = { method, headers, ...(sent && method !== 'GET' ? { body: sent.text } : {}) };
  return (await f.app.app.request(target, init)).status;
}

describe('route fuzzing', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  }, 120_000);
  afterAll(async () => {
    await f.app.close();
    await f.db.close();
  });

  it(`answers ${totalRuns} generated requests over every route without a 5xx`, async () => {
    const perRoute = Math.ceil(totalRuns / allRoutes.length);
    const byClass = new Map<string, number>();
    const failures: string[] = [];
    let sent = 0;
    for (const [index, route] of allRoutes.entries()) {
      const caller = fc.constantFrom<Caller>('anonymous', 'user', 'admin');
      await fc.assert(
        fc.asyncProperty(urlOf(route), bodyOf(route), caller, async (url, body, who) => {
          const status = await send(f, route, url, body, who);
          sent += 1;
          const key = `${Math.floor(status / 100)}xx`;
          byClass.set(key, (byClass.get(key) ?? 0) + 1);
          if (status >= 500)
            failures.push(
              `${status} ${route.method.toUpperCase()} ${url} as ${who}: ${body?.text.slice(0, 200)}`,
            );
          return status < 500;
        }),
        { numRuns: perRoute, seed: seed + index, endOnFailure: true },
      );
    }
    console.log(
      `route fuzz: ${sent} requests over ${allRoutes.length} routes, ${[...byClass]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}, ${failures.length} × 5xx`,
    );
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(totalRuns);
  }, 600_000);
});
