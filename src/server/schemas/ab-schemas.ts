/**
 * JSON shapes of the admin answers about A/B tests and off-policy screens. Each record schema
 * mirrors the record type the library returns, and each `…Response` is the `response` of the route
 * with that operationId: the route's handler is typed by it (a field renamed, retyped or dropped
 * in the record fails the typecheck), tests check every answer against it at run time, and
 * /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';
import { statistic } from './common-schemas.ts';

export const abPolicy = z.object({
  autoActivateThreshold: z.number(),
  minSamples: z.number(),
  maxDays: z.number(),
  alpha: z.number(),
  tau: z.number(),
  srmThreshold: z.number(),
});
export const estimate = z.object({ value: statistic, low: statistic, high: statistic });
export const armStatistics = z.object({
  users: z.number(),
  served: z.number(),
  n: z.number(),
  accuracy: estimate,
  rmse: estimate,
  likedRate: estimate,
});
export const sampleRatioCheck = z.object({
  observed: z.object({ champion: z.number(), challenger: z.number() }),
  expected: z.object({ champion: z.number(), challenger: z.number() }),
  chiSquare: statistic,
  pValue: statistic,
  threshold: z.number(),
  mismatch: z.boolean(),
});
export const sequentialTest = z.object({
  method: z.literal('mSPRT (normal mixture)'),
  tau: z.number(),
  alpha: z.number(),
  likelihoodRatio: statistic,
  pValue: statistic,
  significant: z.boolean(),
  low: statistic,
  high: statistic,
});
export const abVerdict = z.object({
  action: z.enum(['continue', 'discard', 'activate', 'blocked']),
  reason: z.string(),
});
export const abAnalysis = z.object({
  elapsedDays: z.number(),
  policy: abPolicy,
  arms: z.object({ champion: armStatistics, challenger: armStatistics }),
  difference: z.object({ accuracy: estimate, rmse: estimate, likedRate: estimate }),
  relativeAccuracyImprovement: statistic,
  srm: sampleRatioCheck,
  sequential: sequentialTest,
  enoughSamples: z.boolean(),
  verdict: abVerdict,
});
export const abTest = z.object({
  id: z.number(),
  championVersion: z.number(),
  challengerVersion: z.number(),
  method: z.enum(['ab', 'interleave']),
  traffic: z.number(),
  minSamples: z.number(),
  maxDays: z.number(),
  status: z.enum(['running', 'completed', 'stopped']),
  decision: z.enum(['discarded', 'stopped', 'activated']).nullable(),
  decisionReason: z.string().nullable(),
  policy: abPolicy,
  finalAnalysis: abAnalysis.nullable(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
});
export const abArmDay = z.object({
  arm: z.string(),
  day: z.number(),
  n: z.number(),
  accuracy: statistic,
  low: statistic,
  high: statistic,
});
export const opeScreening = z.object({
  id: z.number(),
  championVersion: z.number(),
  challengerVersion: z.number(),
  action: z.enum(['discard', 'test']),
  reason: z.string(),
  figures: z.record(z.string(), z.unknown()),
  windowStart: z.number(),
  windowEnd: z.number(),
  createdAt: z.number(),
});
export const abDecisionResult = z.object({
  applied: z.enum(['discarded', 'activated']).nullable(),
  test: abTest,
  analysis: abAnalysis,
});
export const abEvaluation = z.object({ test: abTest, analysis: abAnalysis });
export const opeMetric = z.object({ snips: estimate, dr: estimate });
export const opeEstimate = z.object({
  visits: z.number(),
  matched: z.number(),
  targetItems: z.number(),
  effectiveSampleSize: z.number(),
  accuracy: opeMetric,
  hitRate: opeMetric,
});
export const opeScreenVerdict = z.object({ action: z.enum(['discard', 'test']), reason: z.string() });
export const screenResult = z.object({
  championVersion: z.number(),
  challengerVersion: z.number(),
  champion: opeEstimate,
  challenger: opeEstimate,
  verdict: opeScreenVerdict,
  windowStart: z.number(),
  windowEnd: z.number(),
  screening: opeScreening.nullable(),
});
export const listAbTestsResponse = z.object({ tests: z.array(abTest) });
export const startAbTestResponse = abTest;
export const getCurrentAbTestResponse = z.object({
  test: abTest.nullable(),
  analysis: abAnalysis.nullable(),
  timeline: z.array(abArmDay),
  offPolicy: opeScreening.nullable(),
});
export const validateAbTestResponse = abDecisionResult;
export const stopAbTestResponse = abEvaluation;
export const listScreeningsResponse = z.object({ screenings: z.array(opeScreening) });
export const estimateChallengerResponse = screenResult;
export const getAbTestResponse = z.object({
  timeline: z.array(abArmDay),
  test: abTest,
  analysis: abAnalysis,
});
