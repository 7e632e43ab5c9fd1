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
import { qualityStore } from '../../monitoring/sql-quality-store.ts';
import { type AbArmDay, abTestChart } from '../dashboard-charts.ts';
import { idFromText, idInBody } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
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

export const adminAbRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests',
    tag: 'admin: A/B tests',
    summary: 'Every A/B test, newest first',
    access: 'admin',
    async handler({ server }) {
      return { tests: await listAbTests(server.db) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests',
    tag: 'admin: A/B tests',
    summary: 'Start an A/B test of the champion against a challenger version (409 when one is running)',
    access: 'admin',
    status: 201,
    body: z
      .object({
        challengerVersion: idInBody(),
        method: z
          .enum(['ab', 'interleave'])
          .optional()
          .describe(
            "'ab' splits users between the arms (default); 'interleave' serves everyone team-draft lists",
          ),
        traffic: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .describe('share of users sent to the challenger; default 0.5'),
        minSamples: z.number().int().min(1).max(1_000_000).optional(),
        maxDays: z.number().positive().max(365).optional(),
      })
      .strict(),
    async handler({ c, body, server }) {
      const test = await startAbTest(server.db, {
        challengerVersion: body.challengerVersion,
        ...(body.method === undefined ? {} : { method: body.method }),
        autoActivateThreshold: server.config.autoActivateThreshold,
        now: server.now(),
        ...(body.traffic === undefined ? {} : { traffic: body.traffic }),
        ...(body.minSamples === undefined ? {} : { minSamples: body.minSamples }),
        ...(body.maxDays === undefined ? {} : { maxDays: body.maxDays }),
      });
      return c.json(test, 201);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/ab-tests/current',
    tag: 'admin: A/B tests',
    summary: 'The running test with its statistics and verdict so far (changes nothing); null when none runs',
    access: 'admin',
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
    tag: 'admin: A/B tests',
    summary:
      'Validate the running test and apply its verdict: activate the challenger, discard it, or continue',
    access: 'admin',
    async handler({ server }) {
      const result = await decideAbTest(server.db, { now: server.now() });
      if (!result) throw new NotFoundError('no A/B test is running');
      return result;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests/current/stop',
    tag: 'admin: A/B tests',
    summary: 'Stop the running test without a decision (the champion stays)',
    access: 'admin',
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
    tag: 'admin: A/B tests',
    summary: 'Off-policy screens of challengers, newest first (optionally of one version)',
    access: 'admin',
    query: z.object({ challengerVersion: idFromText().optional() }).strict(),
    async handler({ query, server }) {
      return { screenings: await listScreenings(server.db, query.challengerVersion) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/admin/ab-tests/estimate',
    tag: 'admin: A/B tests',
    summary:
      "Off-policy estimate of a challenger from the champion's logged window; records the screen (and discards a clearly worse challenger) unless dryRun",
    access: 'admin',
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
    tag: 'admin: A/B tests',
    summary: 'One test with its statistics (final for an ended test) and per-arm accuracy over time',
    access: 'admin',
    params: testIdParam,
    async handler({ params, server }) {
      const evaluation = await evaluateAbTest(server.db, { testId: params.id });
      return { ...evaluation, timeline: await abTestTimeline(server.db, params.id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/charts/ab-test',
    tag: 'admin: charts',
    summary:
      'SVG: per-arm cumulative accuracy with 95 % intervals over the days of a test (default: running or latest)',
    access: 'admin',
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
