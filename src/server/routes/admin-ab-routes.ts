import { z } from 'zod';
import { likeThreshold } from '../../data/rating-scale.ts';
import { ratingScaleOf } from '../../data/rating-scale-of.ts';
import type { Queryable } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import {
  decideAbTest,
  evaluateAbTest,
  getAbTest,
  getRunningAbTest,
  listAbTests,
  startAbTest,
  stopAbTest,
} from '../../experiments/ab-tests.ts';
import { screenChallengerOffPolicy } from '../../experiments/ope-screening.ts';
import { listScreenings } from '../../experiments/ope-store.ts';
import { proportion } from '../../experiments/statistics.ts';
import { abTestSettingsInput } from '../../input-schemas.ts';
import { qualityStore } from '../../monitoring/sql-quality-store.ts';
import { type AbArmDay, abTestChart } from '../dashboard-charts.ts';
import { idFromText, idInBody } from '../request-bounds.ts';
import { defineRoute } from '../route-spec.ts';
import {
  estimateChallengerResponse,
  getAbTestResponse,
  getCurrentAbTestResponse,
  listAbTestsResponse,
  listScreeningsResponse,
  startAbTestResponse,
  stopAbTestResponse,
  validateAbTestResponse,
} from '../schemas/ab-schemas.ts';
import { svgResponse } from './admin-tracking-routes.ts';

const dayMs = 86_400_000;

/**
 * Each arm's cumulative accuracy at the end of each day of a test, with its 95 % interval: how the
 * evidence built up. Read from the tracker's quality rows of the test (the per-arm outcomes).
 */
export async function abTestTimeline(db: Queryable, testId: number): Promise<AbArmDay[]> {
  const rows = await qualityStore(db).armDayOutcomes(testId);
  const out: AbArmDay[] = [];
  const totals = new Map<string, { n: number; hits: number }>();
  for (const r of rows) {
    const t = totals.get(r.arm) ?? { n: 0, hits: 0 };
    t.n += r.n;
    t.hits += r.hits;
    totals.set(r.arm, t);
    const e = proportion(t.hits, t.n);
    out.push({
      arm: r.arm,
      day: (r.day + 1) * dayMs,
      n: t.n,
      accuracy: e.value,
      low: e.low,
      high: e.high,
    });
  }
  return out;
}

const testIdParam = z.object({
  id: idFromText(),
});

export const adminAbRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests',
    operationId: 'listAbTests',
    tag: 'admin: A/B tests',
    summary: 'Every A/B test, newest first',
    access: 'admin',
    response: listAbTestsResponse,
    async handler({ server }) {
      return { tests: await listAbTests(server.db) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests',
    operationId: 'startAbTest',
    tag: 'admin: A/B tests',
    summary: 'Start an A/B test of the champion against a challenger version (409 when one is running)',
    access: 'admin',
    response: startAbTestResponse,
    errors: [404, 409],
    status: 201,
    body: z
      .object({
        challengerVersion: idInBody(),
        method: abTestSettingsInput.method.optional(),
        traffic: abTestSettingsInput.traffic.optional(),
        minSamples: abTestSettingsInput.minSamples.optional(),
        maxDays: abTestSettingsInput.maxDays.optional(),
      })
      .strict(),
    async handler({ body, server }) {
      const test = await startAbTest(server.db, {
        challengerVersion: body.challengerVersion,
        ...(body.method === undefined ? {} : { method: body.method }),
        autoActivateThreshold: server.config.autoActivateThreshold,
        now: server.now(),
        ...(body.traffic === undefined ? {} : { traffic: body.traffic }),
        ...(body.minSamples === undefined ? {} : { minSamples: body.minSamples }),
        ...(body.maxDays === undefined ? {} : { maxDays: body.maxDays }),
      });
      return test;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests/current',
    operationId: 'getCurrentAbTest',
    tag: 'admin: A/B tests',
    summary: 'The running test with its statistics and verdict so far (changes nothing); null when none runs',
    access: 'admin',
    response: getCurrentAbTestResponse,
    async handler({ server }) {
      const running = await getRunningAbTest(server.db);
      if (!running) return { test: null, analysis: null, timeline: [], offPolicy: null };
      const evaluation = await evaluateAbTest(server.db, { testId: running.id, now: server.now() });
      return {
        ...evaluation,
        timeline: await abTestTimeline(server.db, running.id),
        // The challenger's latest off-policy screen, shown beside the test.
        offPolicy: (await listScreenings(server.db, running.challengerVersion))[0] ?? null,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests/current/validate',
    operationId: 'validateAbTest',
    tag: 'admin: A/B tests',
    summary:
      'Validate the running test and apply its verdict: activate the challenger, discard it, or continue',
    access: 'admin',
    response: validateAbTestResponse,
    errors: [404],
    async handler({ server }) {
      const result = await decideAbTest(server.db, { now: server.now() });
      if (!result) throw new NotFoundError('no A/B test is running');
      return result;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests/current/stop',
    operationId: 'stopAbTest',
    tag: 'admin: A/B tests',
    summary: 'Stop the running test without a decision (the champion stays)',
    access: 'admin',
    response: stopAbTestResponse,
    errors: [404, 409],
    body: z
      .object({ reason: z.string().trim().min(1).max(300).optional() })
      .strict()
      .optional(),
    async handler({ body, server }) {
      return stopAbTest(server.db, { now: server.now(), ...(body?.reason ? { reason: body.reason } : {}) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests/screenings',
    operationId: 'listScreenings',
    tag: 'admin: A/B tests',
    summary: 'Off-policy screens of challengers, newest first (optionally of one version)',
    access: 'admin',
    response: listScreeningsResponse,
    query: z.object({ challengerVersion: idFromText().optional() }).strict(),
    async handler({ query, server }) {
      return { screenings: await listScreenings(server.db, query.challengerVersion) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests/estimate',
    operationId: 'estimateChallenger',
    tag: 'admin: A/B tests',
    summary:
      "Off-policy estimate of a challenger from the champion's logged window; records the screen (and discards a clearly worse challenger) unless dryRun",
    access: 'admin',
    response: estimateChallengerResponse,
    errors: [404, 409],
    body: z
      .object({
        challengerVersion: idInBody(),
        dryRun: z.boolean().optional(),
      })
      .strict(),
    async handler({ body, server }) {
      return screenChallengerOffPolicy(server.db, body.challengerVersion, server.config, {
        likeThreshold: likeThreshold(await ratingScaleOf(server.db), server.config.likeThreshold),
        now: server.now(),
        ...(body.dryRun ? { dryRun: true } : {}),
      });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests/:id',
    operationId: 'getAbTest',
    tag: 'admin: A/B tests',
    summary: 'One test with its statistics (final for an ended test) and per-arm accuracy over time',
    access: 'admin',
    response: getAbTestResponse,
    errors: [404],
    params: testIdParam,
    async handler({ params, server }) {
      const evaluation = await evaluateAbTest(server.db, { testId: params.id });
      return { ...evaluation, timeline: await abTestTimeline(server.db, params.id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/ab-test',
    operationId: 'chartAbTest',
    tag: 'admin: charts',
    summary:
      'SVG: per-arm cumulative accuracy with 95 % intervals over the days of a test (default: running or latest)',
    access: 'admin',
    errors: [404],
    produces: 'image/svg+xml',
    query: z.object({ id: idFromText().optional() }).strict(),
    async handler({ c, query, server }) {
      const test =
        query.id !== undefined
          ? await getAbTest(server.db, query.id)
          : ((await getRunningAbTest(server.db)) ?? (await listAbTests(server.db))[0] ?? null);
      const timeline = test ? await abTestTimeline(server.db, test.id) : [];
      return svgResponse(c, abTestChart(test, timeline));
    },
  }),
];
