/**
 * JSON shapes of the admin answers about the reports (status, tuning, unexpected movies, impact).
 * Each record schema mirrors the record type the library returns, and each `…Response` is the
 * `response` of the route with that operationId: the route's handler is typed by it (a field
 * renamed, retyped or dropped in the record fails the typecheck), tests check every answer against
 * it at run time, and /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';
import { params } from './common-schemas.ts';
import { accuracyFigure, retrainTrigger } from './tracking-schemas.ts';
import { bestHp, paramImportance, tuningRun } from './tuning-schemas.ts';
import { aliasHistoryEntry } from './versions-schemas.ts';

export const ratingScale = z.object({ min: z.number(), max: z.number(), step: z.number() });
export const groupStats = z.object({ unexpected: z.number().nullable(), recommended: z.number().nullable() });
export const unexpectedMoviesReport = z.object({
  report: z.literal('unexpected'),
  generatedAt: z.number(),
  source: z.enum(['ratings', 'tracker']),
  period: z.object({ from: z.number().nullable(), to: z.number().nullable() }),
  scale: ratingScale,
  likeThreshold: z.number(),
  totals: z.object({
    ratings: z.number(),
    unexpected: z.number(),
    recommended: z.number(),
    share: z.number().nullable(),
  }),
  overTime: z.object({
    bucket: z.enum(['day', 'week', 'month']),
    /** Ratings timed outside the drawable range: counted in the totals, never drawn. */
    outOfRange: z.number(),
    points: z.array(
      z.object({
        start: z.number(),
        label: z.string(),
        ratings: z.number(),
        unexpected: z.number(),
        share: z.number().nullable(),
      }),
    ),
  }),
  ratingDistribution: z.array(
    z.object({ rating: z.number(), unexpected: z.number(), recommended: z.number() }),
  ),
  meanRating: groupStats,
  likedShare: groupStats,
  genres: z.array(
    z.object({
      genre: z.string(),
      unexpectedShare: z.number().nullable(),
      recommendedShare: z.number().nullable(),
      unexpected: z.number(),
      recommended: z.number(),
    }),
  ),
  popularity: z.object({
    edges: z.array(z.number()),
    unexpected: z.array(z.number()),
    recommended: z.array(z.number()),
    median: groupStats,
    mean: groupStats,
  }),
  topUsers: z.array(
    z.object({ userId: z.number(), unexpected: z.number(), ratings: z.number(), share: z.number() }),
  ),
  topMovies: z.array(
    z.object({
      movieId: z.number(),
      title: z.string().nullable(),
      unexpected: z.number(),
      ratings: z.number(),
    }),
  ),
  topUsersShareOfUnexpected: z.number().nullable(),
});
export const armMetrics = z.object({
  rmse: z.number(),
  mae: z.number(),
  accuracy: z.number(),
  baselineAccuracy: z.number(),
  map: z.number(),
  precision: z.number(),
  recall: z.number(),
  ndcg: z.number(),
  hitRate: z.number(),
  coverage: z.number(),
  rankedUsers: z.number(),
  rmseRecommended: z.number().nullable(),
  rmseUnexpected: z.number().nullable(),
});
export const trainingFlowCounts = z.object({
  ratings: z.number(),
  unexpectedRatings: z.number(),
  served: z.number(),
  tracked: z.number(),
  trackedUnexpected: z.number(),
  versions: z.number(),
  championVersion: z.number().nullable(),
  championTrainRows: z.number().nullable(),
  abTests: z.number(),
  abTestsRunning: z.number(),
});
/** Which training set an arm of the impact report fitted on. */
const impactArmKey = z.enum(['with', 'without', 'down-weighted', 'halved', 'doubled']);
/** One arm of the impact report: its training set and the models' metrics on the test ratings. */
const impactArm = z.object({
  key: impactArmKey,
  name: z.string(),
  trainSize: z.number(),
  unexpectedInTrain: z.number(),
  unexpectedShare: z.number(),
  unexpectedWeight: z.number(),
  testFingerprint: z.string(),
  metrics: armMetrics,
  spread: z.object({ rmse: z.number(), accuracy: z.number(), ndcg: z.number() }),
  runs: z.array(armMetrics),
  fitSeconds: z.number(),
});
export const impactReport = z.object({
  report: z.literal('impact'),
  generatedAt: z.number(),
  model: z.object({
    kind: z.string(),
    params: params,
    source: z.enum(['default', 'champion', 'given']),
    version: z.number().nullable(),
  }),
  seed: z.number(),
  repeats: z.number(),
  split: z.object({
    kind: z.literal('temporal'),
    testFraction: z.number(),
    cutAt: z.number(),
    trainSize: z.number(),
    testSize: z.number(),
    trainUnexpected: z.number(),
    testUnexpected: z.number(),
    likeThreshold: z.number(),
    k: z.number(),
    testFingerprint: z.string(),
  }),
  arms: z.array(impactArm),
  weightsIgnored: z.boolean().nullable(),
  scenarios: z.array(impactArm),
  skippedScenarios: z.array(z.object({ key: impactArmKey, reason: z.string() })),
  deltas: z.array(
    z.object({
      key: impactArmKey,
      rmse: z.number(),
      accuracy: z.number(),
      ndcg: z.number(),
      rmseSd: z.number(),
      ndcgSd: z.number(),
    }),
  ),
  flow: trainingFlowCounts,
});
export const versionStatus = z.object({
  version: z.number(),
  kind: z.string(),
  params: params,
  reason: z.string(),
  status: z.string(),
  createdAt: z.number(),
  ageMs: z.number(),
  trainRows: z.number(),
  offlineMetrics: z.record(z.string(), z.number()),
  live: accuracyFigure,
});
export const statusReport = z.object({
  report: z.literal('status'),
  generatedAt: z.number(),
  champion: versionStatus.nullable(),
  challenger: versionStatus.nullable(),
  aliasHistory: z.array(aliasHistoryEntry),
  abTest: z
    .object({
      id: z.number(),
      championVersion: z.number(),
      challengerVersion: z.number(),
      traffic: z.number(),
      startedAt: z.number(),
      elapsedDays: z.number(),
      champion: z.object({ n: z.number(), accuracy: z.number().nullable() }),
      challenger: z.object({ n: z.number(), accuracy: z.number().nullable() }),
      relativeAccuracyImprovement: z.number().nullable(),
      sequentialPValue: z.number().nullable(),
      verdict: z.string(),
      reason: z.string(),
    })
    .nullable(),
  lastAbTest: z
    .object({
      id: z.number(),
      decision: z.string().nullable(),
      reason: z.string().nullable(),
      endedAt: z.number().nullable(),
    })
    .nullable(),
  tracker: z.object({
    windowDays: z.number(),
    threshold: z.number(),
    minSamples: z.number(),
    counts: z.object({ tracked: z.number(), recommended: z.number(), unexpected: z.number() }),
    accuracy: accuracyFigure,
    belowThreshold: z.boolean().nullable(),
    byDay: z.array(
      z.object({
        day: z.string(),
        accuracy: z.number().nullable(),
        samples: z.number(),
        low: z.number(),
        high: z.number(),
      }),
    ),
  }),
  tuning: z.object({
    lastRun: z
      .object({
        id: z.string(),
        method: z.string(),
        model: z.string(),
        objective: z.string(),
        status: z.string(),
        trialsDone: z.number(),
        trialsPlanned: z.number(),
        bestValue: z.number().nullable(),
        startedAt: z.number(),
        endedAt: z.number().nullable(),
      })
      .nullable(),
    bestHpPath: z.string().nullable(),
    bestHp: bestHp.nullable(),
    bestHpError: z.string().nullable(),
  }),
  retrain: z.object({
    lock: z.object({
      holder: z.string().nullable(),
      triggerId: z.number().nullable(),
      heartbeatAt: z.number().nullable(),
    }),
    triggers: z.array(retrainTrigger),
  }),
  database: z.object({
    dialect: z.string(),
    location: z.string(),
    sizeBytes: z.number().nullable(),
    schemaVersion: z.number(),
    latestMigration: z.number(),
    integrity: z.string(),
    rows: z.record(z.string(), z.number()),
  }),
});
export const tuningTrialPoint = z.object({
  number: z.number(),
  state: z.enum(['running', 'failed', 'pruned', 'complete']),
  value: z.number().nullable(),
  params: params,
  durationMs: z.number().nullable(),
  intermediateValues: z.array(z.object({ step: z.number(), value: z.number() })),
});
export const tuningReport = z.object({
  report: z.literal('tuning'),
  generatedAt: z.number(),
  run: tuningRun
    .pick({
      id: true,
      method: true,
      model: true,
      status: true,
      objective: true,
      direction: true,
      trialsPlanned: true,
      trialsDone: true,
      bestValue: true,
      bestTrialNumber: true,
      bestParams: true,
      startedAt: true,
      endedAt: true,
    })
    .extend({ defaultValue: z.number().nullable() })
    .nullable(),
  otherRuns: z.array(
    tuningRun.pick({ id: true, method: true, model: true, status: true, bestValue: true, startedAt: true }),
  ),
  states: z.object({ running: z.number(), failed: z.number(), pruned: z.number(), complete: z.number() }),
  trials: z.array(tuningTrialPoint),
  bestSoFar: z.array(z.object({ number: z.number(), value: z.number() })),
  importance: z.array(paramImportance).nullable(),
  params: z.array(z.string()),
});
export const listReportsResponse = z.object({
  reports: z.array(
    z.object({ kind: z.enum(['unexpected', 'impact', 'status', 'tuning']), description: z.string() }),
  ),
});
export const getReportResponse = z.discriminatedUnion('report', [
  statusReport,
  tuningReport,
  unexpectedMoviesReport,
  impactReport,
]);
export const getReportChartsResponse = z.object({
  kind: z.enum(['unexpected', 'impact', 'status', 'tuning']),
  charts: z.array(z.string()),
});
