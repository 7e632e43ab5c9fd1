import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminToken } from '../api/test-server.ts';
import { type DatabaseKind, describeEachDatabase } from '../helpers/databases.ts';
import {
  answerProblems,
  type ContractWorld,
  findOperation,
  type Operation,
  operations,
  startContractWorld,
} from './contract-world.ts';

/** Who calls: nobody, a user, another user, the admin, or a bearer token that is not valid. */
type Caller = 'anonymous' | 'user' | 'other' | 'admin' | 'bad-token';

interface Case {
  readonly method: string;
  readonly path: string;
  readonly as?: Caller;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly status: number;
}

/**
 * Statuses the document lists that this test cannot cause, with the reason. Everything else the
 * document lists for an operation must be caused by some case below.
 */
function unreachable(op: Operation, status: string): string | undefined {
  if (status === '429' && op.operationId !== 'signIn')
    return 'rate limits on /api are the hardening layer’s settings; here only the sign-in throttle answers 429';
  if (status === '403' && op.security.length === 0)
    return 'a public route answers 403 only when the hardening layer refuses a cross-site request';
  if (status === '403' && op.operationId === 'signOut') return 'as above: cross-site refusal';
  if (status === '415')
    return 'the CSRF guard’s content-type refusal; test/api/hardening.test.ts causes it with a cookie request';
  if (status === '503' && op.operationId === 'ready')
    return 'answered when the champion cannot load; test/api/hardening.test.ts damages an artifact for it';
  if (status === '503') return 'answered past a report’s deadline, which no report here comes near';
  if (status === '404' && ['getRecommendations', 'previewUserPicks'].includes(op.operationId))
    return 'answered when there is no champion; this world has one';
  if (status === '409' && op.operationId === 'estimateChallenger')
    return 'answered when there is no champion; this world has one';
  if (status === '409' && op.operationId === 'stopAbTest')
    return 'answered only when another process ends the test between the read and the write';
  return undefined;
}

/** Cases every operation gets from its security alone: 401, 403 and 413. */
function securityCases(method: string, path: string, op: Operation): Case[] {
  const schemes = op.security.flatMap((s) => Object.keys(s));
  const optional = op.security.some((s) => Object.keys(s).length === 0);
  const cases: Case[] = [{ method, path, as: 'bad-token', status: 401 }];
  if (schemes.length > 0 && !optional) cases.push({ method, path, as: 'anonymous', status: 401 });
  if (schemes.includes('adminToken') && op.operationId !== 'listUserRatings')
    cases.push({ method, path, as: 'user', status: 403 });
  if (schemes.length > 0 && !optional && !schemes.includes('adminToken'))
    cases.push({ method, path, as: 'admin', status: 403 });
  if (method !== 'get' && path.startsWith('/api/'))
    cases.push({ method, path, as: 'admin', rawBody: `{"pad":"${'x'.repeat(70_000)}"}`, status: 413 });
  return cases;
}

function suite(kind: DatabaseKind): void {
  let w: ContractWorld;
  const sessions: Partial<Record<Caller, string>> = {};
  let otherUserId = 0;
  const seen = new Map<string, Set<string>>();

  beforeAll(async () => {
    w = await startContractWorld(kind);
    sessions.user = (await w.t.signUp('contract-zoe')).cookie;
    const other = await w.t.signUp('contract-max');
    sessions.other = other.cookie;
    otherUserId = other.userId;
  });
  afterAll(async () => {
    await w.t.server.context.background.idle();
    await w.t.close();
  });

  async function run(c: Case): Promise<{ status: number; json: unknown }> {
    const as = c.as ?? (c.path.startsWith('/api/admin/') && !c.path.endsWith('sign-in') ? 'admin' : 'user');
    const credentials =
      as === 'admin'
        ? { token: adminToken }
        : as === 'bad-token'
          ? { token: 'not-a-token' }
          : as === 'anonymous'
            ? {}
            : { cookie: sessions[as] ?? '' };
    const r = await w.t.request(c.method.toUpperCase(), c.path, {
      ...credentials,
      ...(c.body === undefined ? {} : { body: c.body }),
      ...(c.rawBody === undefined
        ? {}
        : { rawBody: c.rawBody, headers: { 'content-length': String(c.rawBody.length) } }),
    });
    const op = findOperation(w.document, c.method, c.path);
    const label = `${c.method.toUpperCase()} ${c.path} as ${as}`;
    expect(op, `${label}: no operation in the document`).toBeDefined();
    expect(r.status, `${label}: ${r.text.slice(0, 300)}`).toBe(c.status);
    const type = r.headers.get('content-type') ?? '';
    expect(answerProblems(w.document, op!, r.status, type, r.json), label).toEqual([]);
    seen.set(op!.operationId, (seen.get(op!.operationId) ?? new Set()).add(String(r.status)));
    return r;
  }
  const runAll = async (cases: readonly Case[]) => {
    for (const c of cases) await run(c);
  };

  it('answers people’s routes with documented statuses and bodies', async () => {
    await runAll([
      { method: 'get', path: '/healthz', as: 'anonymous', status: 200 },
      { method: 'get', path: '/readyz', as: 'anonymous', status: 200 },
      { method: 'get', path: '/metrics', as: 'anonymous', status: 200 },
      {
        method: 'post',
        path: '/api/auth/sign-up',
        as: 'anonymous',
        body: { username: 'contract-new', password: 'popcorn-night' },
        status: 201,
      },
      {
        method: 'post',
        path: '/api/auth/sign-up',
        as: 'anonymous',
        body: { username: 'contract-new', password: 'popcorn-night' },
        status: 409,
      },
      { method: 'post', path: '/api/auth/sign-up', as: 'anonymous', body: { username: 'x' }, status: 400 },
      {
        method: 'post',
        path: '/api/auth/sign-in',
        as: 'anonymous',
        body: { username: 'contract-new', password: 'popcorn-night' },
        status: 200,
      },
      { method: 'post', path: '/api/auth/sign-in', as: 'anonymous', body: {}, status: 400 },
      ...[1, 2, 3].map(() => ({
        method: 'post',
        path: '/api/auth/sign-in',
        as: 'anonymous' as const,
        body: { username: 'contract-slow', password: 'wrong-password' },
        status: 401,
      })),
      {
        method: 'post',
        path: '/api/auth/sign-in',
        as: 'anonymous',
        body: { username: 'contract-slow', password: 'wrong-password' },
        status: 429,
      },
      {
        method: 'post',
        path: '/api/admin/sign-in',
        as: 'anonymous',
        body: { token: adminToken },
        status: 200,
      },
      { method: 'post', path: '/api/admin/sign-in', as: 'anonymous', body: { token: 'wrong' }, status: 401 },
      { method: 'post', path: '/api/admin/sign-in', as: 'anonymous', body: {}, status: 400 },
      { method: 'post', path: '/api/auth/sign-out', as: 'anonymous', status: 204 },
      { method: 'get', path: '/api/auth/me', as: 'anonymous', status: 200 },
      { method: 'get', path: '/api/auth/me', status: 200 },
      { method: 'get', path: '/api/movies?q=a&pageSize=5', status: 200 },
      { method: 'get', path: '/api/movies?page=0', status: 400 },
      { method: 'get', path: '/api/movies/1', status: 200 },
      { method: 'get', path: '/api/movies/abc', status: 400 },
      { method: 'get', path: '/api/movies/99999', status: 404 },
      { method: 'get', path: '/api/genres', as: 'anonymous', status: 200 },
      { method: 'get', path: '/api/scale', as: 'anonymous', status: 200 },
      { method: 'get', path: '/api/movies/1/page', status: 200 },
      { method: 'get', path: '/api/movies/abc/page', status: 400 },
      { method: 'get', path: '/api/movies/99999/page', status: 404 },
      { method: 'post', path: '/api/ratings', body: { movieId: 1, rating: 4 }, status: 200 },
      { method: 'post', path: '/api/ratings', body: { movieId: 1, rating: 7 }, status: 400 },
      { method: 'post', path: '/api/ratings', body: { movieId: 99999, rating: 4 }, status: 404 },
      {
        method: 'post',
        path: '/api/ratings',
        body: { movieId: 1, rating: 4, userId: otherUserId },
        status: 403,
      },
      { method: 'put', path: '/api/ratings/1', body: { rating: 3 }, status: 200 },
      { method: 'put', path: '/api/ratings/2', body: { rating: 3 }, status: 404 },
      { method: 'put', path: '/api/ratings/1', body: { rating: 'three' }, status: 400 },
      { method: 'get', path: '/api/me/ratings', status: 200 },
      { method: 'get', path: '/api/me/ratings?page=0', status: 400 },
      { method: 'get', path: `/api/users/${otherUserId}/ratings`, as: 'other', status: 200 },
      { method: 'get', path: `/api/users/${otherUserId}/ratings`, as: 'user', status: 403 },
      { method: 'get', path: `/api/users/${otherUserId}/ratings`, as: 'admin', status: 200 },
      { method: 'get', path: '/api/users/abc/ratings', status: 400 },
      { method: 'delete', path: '/api/ratings/1', status: 204 },
      { method: 'delete', path: '/api/ratings/1', status: 404 },
      { method: 'delete', path: '/api/ratings/abc', status: 400 },
      { method: 'get', path: '/api/recommendations?n=5', status: 200 },
      { method: 'get', path: '/api/recommendations?n=0', status: 400 },
    ]);
  });

  it('answers the admin routes for status, tracking, versions and A/B tests', async () => {
    const { v1, v2 } = w;
    await runAll([
      { method: 'get', path: '/api/admin/status', status: 200 },
      { method: 'get', path: '/api/admin/overview', status: 200 },
      { method: 'get', path: '/api/admin/users/1/picks?n=3', status: 200 },
      { method: 'get', path: '/api/admin/users/abc/picks', status: 400 },
      { method: 'get', path: '/api/admin/tracker', status: 200 },
      { method: 'get', path: '/api/admin/queue', status: 200 },
      { method: 'get', path: '/api/admin/retrain/triggers', status: 200 },
      { method: 'get', path: '/api/admin/retrain/triggers?limit=0', status: 400 },
      { method: 'get', path: '/api/admin/retrain/triggers/999', status: 404 },
      { method: 'get', path: '/api/admin/retrain/triggers/abc', status: 400 },
      { method: 'get', path: '/api/admin/charts/tracker-accuracy', status: 200 },
      { method: 'get', path: '/api/admin/charts/accuracy-by-version', status: 200 },
      { method: 'get', path: '/api/admin/charts/retrain-triggers', status: 200 },
      { method: 'get', path: '/api/admin/charts/alias-history', status: 200 },
      { method: 'get', path: '/api/admin/charts/version-metrics', status: 200 },
      { method: 'get', path: '/api/admin/versions', status: 200 },
      { method: 'get', path: '/api/admin/versions/history?alias=champion', status: 200 },
      { method: 'get', path: '/api/admin/versions/history?limit=0', status: 400 },
      { method: 'get', path: `/api/admin/versions/${v1}`, status: 200 },
      { method: 'get', path: '/api/admin/versions/999', status: 404 },
      { method: 'get', path: '/api/admin/versions/abc', status: 400 },
      { method: 'post', path: '/api/admin/versions/rollback', status: 409 },
      { method: 'post', path: '/api/admin/versions/rollback', body: { reason: 5 }, status: 400 },
      {
        method: 'post',
        path: `/api/admin/versions/${v2}/activate`,
        body: { reason: 'contract' },
        status: 200,
      },
      { method: 'post', path: '/api/admin/versions/999/activate', status: 404 },
      { method: 'post', path: '/api/admin/versions/abc/activate', status: 400 },
      { method: 'post', path: '/api/admin/versions/rollback', status: 200 },
      { method: 'get', path: '/api/admin/ab-tests', status: 200 },
      { method: 'post', path: '/api/admin/ab-tests', body: {}, status: 400 },
      { method: 'post', path: '/api/admin/ab-tests', body: { challengerVersion: 999 }, status: 404 },
      { method: 'post', path: '/api/admin/ab-tests/current/validate', status: 404 },
      { method: 'post', path: '/api/admin/ab-tests/current/stop', status: 404 },
      {
        method: 'post',
        path: '/api/admin/ab-tests',
        body: { challengerVersion: v2, traffic: 0.5 },
        status: 201,
      },
      { method: 'post', path: '/api/admin/ab-tests', body: { challengerVersion: v2 }, status: 409 },
      { method: 'get', path: '/api/admin/ab-tests/current', status: 200 },
      { method: 'post', path: '/api/admin/ab-tests/current/validate', status: 200 },
      { method: 'post', path: '/api/admin/ab-tests/current/stop', body: { reason: '' }, status: 400 },
      { method: 'get', path: '/api/admin/ab-tests/screenings', status: 200 },
      { method: 'get', path: '/api/admin/ab-tests/screenings?challengerVersion=abc', status: 400 },
      {
        method: 'post',
        path: '/api/admin/ab-tests/estimate',
        body: { challengerVersion: v2, dryRun: true },
        status: 200,
      },
      { method: 'post', path: '/api/admin/ab-tests/estimate', body: { challengerVersion: 999 }, status: 404 },
      { method: 'post', path: '/api/admin/ab-tests/estimate', body: {}, status: 400 },
      { method: 'get', path: '/api/admin/ab-tests/1', status: 200 },
      { method: 'get', path: '/api/admin/ab-tests/999', status: 404 },
      { method: 'get', path: '/api/admin/ab-tests/abc', status: 400 },
      { method: 'get', path: '/api/admin/charts/ab-test', status: 200 },
      { method: 'get', path: '/api/admin/charts/ab-test?id=999', status: 404 },
      { method: 'get', path: '/api/admin/charts/ab-test?id=abc', status: 400 },
      { method: 'post', path: '/api/admin/ab-tests/current/stop', body: { reason: 'contract' }, status: 200 },
    ]);
  });

  it('answers the admin routes for tuning, reports and retraining', async () => {
    const started = await run({
      method: 'post',
      path: '/api/admin/tuning/runs',
      body: { method: 'random', model: 'baseline', trials: 2, folds: 2, seed: 3 },
      status: 202,
    });
    const runId = (started.json as { runId: string }).runId;
    await w.t.server.context.background.idle();
    const long = await run({
      method: 'post',
      path: '/api/admin/tuning/runs',
      body: { method: 'random', model: 'baseline', trials: 200, folds: 2, seed: 4 },
      status: 202,
    });
    await run({
      method: 'post',
      path: `/api/admin/tuning/runs/${(long.json as { runId: string }).runId}/stop`,
      status: 202,
    });
    await w.t.server.context.background.idle();
    const detail = await run({ method: 'get', path: `/api/admin/tuning/runs/${runId}`, status: 200 });
    const [x = 'x', y = 'y'] = Object.keys(
      (detail.json as { trials: { params: Record<string, unknown> }[] }).trials[0]?.params ?? {},
    );
    await runAll([
      { method: 'post', path: '/api/admin/tuning/runs', body: { trials: 0 }, status: 400 },
      { method: 'get', path: '/api/admin/tuning/runs', status: 200 },
      { method: 'get', path: '/api/admin/tuning/runs?limit=0', status: 400 },
      { method: 'get', path: '/api/admin/tuning/runs/nope', status: 404 },
      { method: 'get', path: `/api/admin/tuning/runs/${'x'.repeat(101)}`, status: 400 },
      { method: 'post', path: `/api/admin/tuning/runs/${'x'.repeat(101)}/stop`, status: 400 },
      { method: 'get', path: `/api/admin/tuning/runs/${runId}/review`, status: 200 },
      { method: 'get', path: `/api/admin/tuning/runs/${runId}/review?top=0`, status: 400 },
      { method: 'get', path: '/api/admin/tuning/runs/nope/review', status: 404 },
      { method: 'post', path: `/api/admin/tuning/runs/${runId}/stop`, status: 409 },
      { method: 'get', path: `/api/admin/charts/tuning-contour?run=${runId}&x=${x}&y=${y}`, status: 200 },
      { method: 'get', path: `/api/admin/charts/tuning-contour?run=nope&x=${x}&y=${y}`, status: 404 },
      { method: 'get', path: `/api/admin/charts/tuning-contour?run=${runId}`, status: 400 },
      { method: 'get', path: '/api/admin/reports', status: 200 },
      ...['status', 'tuning', 'unexpected'].flatMap((k) => [
        { method: 'get', path: `/api/admin/reports/${k}`, status: 200 },
        { method: 'get', path: `/api/admin/reports/${k}/charts`, status: 200 },
        { method: 'get', path: `/api/admin/reports/${k}/html`, status: 200 },
      ]),
      { method: 'get', path: '/api/admin/reports/nope', status: 400 },
      { method: 'get', path: '/api/admin/reports/tuning?run=nope', status: 404 },
      { method: 'get', path: '/api/admin/reports/nope/charts', status: 400 },
      { method: 'get', path: '/api/admin/reports/tuning/charts?run=nope', status: 404 },
      { method: 'get', path: '/api/admin/reports/nope/html', status: 400 },
      { method: 'get', path: '/api/admin/reports/tuning/html?run=nope', status: 404 },
      { method: 'post', path: '/api/admin/retrain', body: { trials: 0 }, status: 400 },
      { method: 'post', path: '/api/admin/retrain', body: { reason: 'contract' }, status: 202 },
      { method: 'post', path: '/api/admin/retrain', status: 409 },
      { method: 'get', path: '/api/admin/retrain/triggers/1', status: 200 },
    ]);
    await w.t.server.context.background.idle();
  });

  it('answers 401, 403 and 413 as each operation’s security and method say', async () => {
    for (const { method, path, op } of operations(w.document)) {
      const concrete = path
        .replace('{userId}', String(otherUserId))
        .replace(/\{(id|version|movieId)\}/, '1')
        .replace('{kind}', 'status');
      await runAll(securityCases(method, concrete, op));
    }
  });

  it('causes every status the document lists, except the ones it cannot here (with the reason)', () => {
    const missing: string[] = [];
    for (const { op } of operations(w.document)) {
      for (const status of Object.keys(op.responses)) {
        if (seen.get(op.operationId)?.has(status) || unreachable(op, status)) continue;
        missing.push(`${op.operationId} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
}

describeEachDatabase('every route against /openapi.json, status by status', suite);
