/**
 * A client program written only against the types openapi-typescript generates from
 * /openapi.json (`movienight-api.generated.ts`, written next to this file by the contract test):
 * what an integrator would write. The contract test typechecks it with tsc and runs it against a
 * live server. It throws on any answer it did not expect.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './movienight-api.generated.ts';

export type MovieNightClient = Client<paths>;

/** A client for `baseUrl` that records `METHOD /path/{template}` of every call in `calls`. */
export function movieNightClient(
  baseUrl: string,
  calls: Set<string>,
  headers: Record<string, string> = {},
): MovieNightClient {
  const client = createClient<paths>({ baseUrl, headers });
  client.use({
    onRequest({ request, schemaPath }) {
      calls.add(`${request.method.toLowerCase()} ${schemaPath}`);
      return undefined;
    },
  });
  return client;
}

function ok<T>(answer: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (answer.data === undefined) {
    throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

/** Waits a little between polls of a background job. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 100));

export interface PeopleSummary {
  readonly userId: number;
  readonly rated: number;
  readonly recommendations: number;
  readonly ratingsAfterDelete: number;
}

/** Sign up, search, open a movie, rate, change, list, get picks, delete, sign out, sign in. */
export async function peopleFlow(baseUrl: string, calls: Set<string>): Promise<PeopleSummary> {
  const anonymous = movieNightClient(baseUrl, calls);
  ok(await anonymous.GET('/healthz'), 'health');
  const credentials = { username: 'client-zoe', password: 'popcorn-night' };
  const signUp = await anonymous.POST('/api/auth/sign-up', { body: credentials });
  const me = ok(signUp, 'sign up');
  // A program outside a browser sends the session token as a bearer token: a cookie request that
  // changes state would need a same-origin Origin header, which only browsers send.
  const cookie = (signUp.response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const token = cookie.slice(cookie.indexOf('=') + 1);
  const user = movieNightClient(baseUrl, calls, { authorization: `Bearer ${token}` });
  const whoAmI = ok(await user.GET('/api/auth/me'), 'me');
  if (whoAmI.kind !== 'user' || whoAmI.userId !== me.userId) throw new Error('me: not the new user');
  ok(await user.GET('/api/genres'), 'genres');
  const scale = ok(await user.GET('/api/scale'), 'scale');
  const found = ok(await user.GET('/api/movies', { params: { query: { pageSize: 5 } } }), 'search');
  const first = found.movies[0];
  if (!first) throw new Error('search: no movies');
  ok(await user.GET('/api/movies/{id}', { params: { path: { id: first.id } } }), 'movie');
  ok(await user.GET('/api/movies/{id}/page', { params: { path: { id: first.id } } }), 'movie page');
  const rated = ok(
    await user.POST('/api/ratings', { body: { movieId: first.id, rating: scale.max } }),
    'rate',
  );
  ok(
    await user.PUT('/api/ratings/{movieId}', {
      params: { path: { movieId: first.id } },
      body: { rating: scale.min },
    }),
    'change rating',
  );
  const mine = ok(await user.GET('/api/me/ratings', { params: { query: { page: 1 } } }), 'my ratings');
  const picks = ok(await user.GET('/api/recommendations', { params: { query: { n: 5 } } }), 'picks');
  const deleted = await user.DELETE('/api/ratings/{movieId}', { params: { path: { movieId: first.id } } });
  if (deleted.response.status !== 204) throw new Error(`delete rating: ${deleted.response.status}`);
  const after = ok(
    await user.GET('/api/users/{userId}/ratings', { params: { path: { userId: me.userId ?? 0 } } }),
    'user ratings',
  );
  await user.POST('/api/auth/sign-out');
  ok(await anonymous.POST('/api/auth/sign-in', { body: credentials }), 'sign in');
  return {
    userId: rated.userId,
    rated: mine.total,
    recommendations: picks.recommendations.length,
    ratingsAfterDelete: after.total,
  };
}

export interface AdminSummary {
  readonly versions: readonly number[];
  readonly activated: number;
  readonly rolledBackTo: number;
  readonly abTest: { readonly id: number; readonly status: string };
  readonly tuning: { readonly status: string; readonly trials: number };
  readonly retrain: string;
  readonly reports: readonly string[];
  readonly chartStartsWith: string;
}

async function versionsFlow(admin: MovieNightClient) {
  const listed = ok(await admin.GET('/api/admin/versions'), 'versions');
  const versions = listed.versions.map((v) => v.version);
  const challenger = listed.versions.find((v) => v.version !== listed.champion)?.version ?? 0;
  ok(
    await admin.GET('/api/admin/versions/{version}', { params: { path: { version: challenger } } }),
    'version',
  );
  const activated = ok(
    await admin.POST('/api/admin/versions/{version}/activate', {
      params: { path: { version: challenger } },
      body: { reason: 'client flow' },
    }),
    'activate',
  );
  const rolledBack = ok(await admin.POST('/api/admin/versions/rollback', { body: {} }), 'rollback');
  ok(await admin.GET('/api/admin/versions/history', { params: { query: { limit: 10 } } }), 'history');
  return { versions, challenger, activated: activated.current, rolledBackTo: rolledBack.current };
}

async function abFlow(admin: MovieNightClient, challenger: number) {
  const started = ok(
    await admin.POST('/api/admin/ab-tests', { body: { challengerVersion: challenger, traffic: 0.5 } }),
    'start A/B test',
  );
  const current = ok(await admin.GET('/api/admin/ab-tests/current'), 'current A/B test');
  if (current.test?.id !== started.id) throw new Error('current A/B test: not the one started');
  ok(await admin.POST('/api/admin/ab-tests/current/validate'), 'validate');
  const stopped = ok(
    await admin.POST('/api/admin/ab-tests/current/stop', { body: { reason: 'client flow' } }),
    'stop',
  );
  ok(await admin.GET('/api/admin/ab-tests/{id}', { params: { path: { id: started.id } } }), 'A/B test');
  ok(await admin.GET('/api/admin/ab-tests'), 'A/B tests');
  return { id: stopped.test.id, status: stopped.test.status };
}

async function tuningFlow(admin: MovieNightClient) {
  const body = { method: 'random' as const, model: 'baseline', trials: 2, folds: 2, seed: 5 };
  const { runId } = ok(await admin.POST('/api/admin/tuning/runs', { body }), 'start tuning');
  for (;;) {
    const one = ok(
      await admin.GET('/api/admin/tuning/runs/{id}', { params: { path: { id: runId } } }),
      'run',
    );
    if (one.run.status !== 'running') {
      ok(
        await admin.GET('/api/admin/tuning/runs/{id}/review', { params: { path: { id: runId } } }),
        'review',
      );
      ok(await admin.GET('/api/admin/tuning/runs'), 'runs');
      return { status: one.run.status, trials: one.trials.length };
    }
    await pause();
  }
}

async function retrainFlow(admin: MovieNightClient): Promise<string> {
  const { trigger } = ok(
    await admin.POST('/api/admin/retrain', { body: { reason: 'client flow' } }),
    'retrain',
  );
  for (;;) {
    const one = ok(
      await admin.GET('/api/admin/retrain/triggers/{id}', { params: { path: { id: trigger.id } } }),
      'trigger',
    );
    if (one.trigger.status !== 'pending' && one.trigger.status !== 'running') return one.trigger.status;
    await pause();
  }
}

/** Status, versions (activate, roll back), an A/B test, a tuning run, a retrain, reports, a chart. */
export async function adminFlow(
  baseUrl: string,
  calls: Set<string>,
  adminToken: string,
): Promise<AdminSummary> {
  const admin = movieNightClient(baseUrl, calls, { authorization: `Bearer ${adminToken}` });
  ok(await admin.GET('/api/admin/status'), 'status');
  ok(await admin.GET('/api/admin/overview'), 'overview');
  ok(await admin.GET('/api/admin/tracker'), 'tracker');
  const versions = await versionsFlow(admin);
  const abTest = await abFlow(admin, versions.challenger);
  const tuning = await tuningFlow(admin);
  const retrain = await retrainFlow(admin);
  const { reports } = ok(await admin.GET('/api/admin/reports'), 'reports');
  const status = ok(
    await admin.GET('/api/admin/reports/{kind}', { params: { path: { kind: 'status' } } }),
    'report',
  );
  const chart = ok(
    await admin.GET('/api/admin/charts/tracker-accuracy', { parseAs: 'text' }),
    'tracker chart',
  );
  return {
    versions: versions.versions,
    activated: versions.activated,
    rolledBackTo: versions.rolledBackTo,
    abTest,
    tuning,
    retrain,
    reports: [...reports.map((r) => r.kind), status.report],
    chartStartsWith: chart.slice(0, 4),
  };
}
