/**
 * JSON shapes of the admin answers about tuning runs, trials and reviews. Each record schema
 * mirrors the record type the library returns, and each `…Response` is the `response` of the route
 * with that operationId: the route's handler is typed by it (a field renamed, retyped or dropped
 * in the record fails the typecheck), tests check every answer against it at run time, and
 * /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';
import { params } from './common-schemas.ts';

export const trialMetrics = z.object({
  map: z.number().nullable(),
  rmse: z.number(),
  mae: z.number(),
  accuracy: z.number(),
  baselineAccuracy: z.number(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
  ndcg: z.number().nullable(),
  hitRate: z.number().nullable(),
  coverage: z.number().nullable(),
  fitSeconds: z.number(),
  predictSeconds: z.number(),
  folds: z.number(),
});
export const improvement = z.object({ points: z.number(), relative: z.number() });
export const bestHp = z.object({
  database: z.string(),
  model: z.string(),
  params: params,
  objective: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  value: z.number(),
  metrics: trialMetrics,
  baseline: z.object({
    majorityAccuracy: z.number(),
    defaultParams: params.nullable(),
    defaultMetrics: trialMetrics.nullable(),
  }),
  improvement: z.object({ overDefault: improvement.nullable(), overMajority: improvement.nullable() }),
  method: z.string(),
  runId: z.string(),
  trialNumber: z.number(),
  dataFingerprint: z.string(),
  folds: z.number(),
  createdAt: z.string(),
});
export const intermediateValue = z.object({ step: z.number(), value: z.number() });
export const trial = z.object({
  runId: z.string(),
  number: z.number(),
  params: params,
  state: z.enum(['running', 'failed', 'pruned', 'complete']),
  value: z.number().nullable(),
  metrics: trialMetrics.nullable(),
  intermediateValues: z.array(intermediateValue),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  heartbeatAt: z.number().nullable(),
  retryOf: z.number().nullable(),
  /** The share of the ratings the trial ran on (1: all; less in a rung of successive halving). */
  fidelity: z.number(),
  /** The share of its configuration's epochs the trial fitted (1: all). */
  epochShare: z.number(),
});
export const tuningProgress = z.object({
  runId: z.string(),
  done: z.number(),
  planned: z.number(),
  running: z.number(),
  failed: z.number(),
  pruned: z.number(),
  bestValue: z.number().nullable(),
  bestTrial: z.number().nullable(),
  elapsedMs: z.number(),
  etaMs: z.number().nullable(),
  last: trial.nullable(),
});
export const reusedTrial = z.object({ number: z.number(), fromRun: z.string(), fromNumber: z.number() });
export const runConfig = z.object({
  seed: z.number(),
  folds: z.number(),
  space: z.unknown(),
  gridPoints: z.array(params).optional(),
  pruner: z.object({ startupTrials: z.number(), warmupSteps: z.number() }).nullable(),
  baseline: z.object({ params: params, metrics: trialMetrics }).nullable().optional(),
  warmStartFrom: z.string().nullable().optional(),
  seedFromRunId: z.boolean().optional(),
  reused: z.array(reusedTrial).optional(),
  fidelity: z
    .object({
      share: z.number(),
      epochShare: z.number().optional(),
      rung: z.number(),
      rungs: z.number(),
      eta: z.number(),
      promotedFrom: z.string().nullable(),
    })
    .optional(),
  data: z
    .object({
      since: z.number().nullable(),
      until: z.number().nullable(),
      includeUnexpected: z.boolean(),
      scale: z.object({ min: z.number(), max: z.number(), step: z.number() }),
    })
    .optional()
    .describe(
      'the ratings tuned on, when not every rating of the database (a retrain tunes on its training part)',
    ),
  costAware: z
    .boolean()
    .optional()
    .describe('the Bayesian sampler ranks by expected improvement per second of trial time'),
});
export const tuningRun = z.object({
  id: z.string(),
  method: z.string(),
  model: z.string(),
  objective: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  dataFingerprint: z.string(),
  status: z.enum(['running', 'failed', 'complete', 'interrupted']),
  trialsPlanned: z.number(),
  trialsDone: z.number(),
  bestValue: z.number().nullable(),
  bestTrialNumber: z.number().nullable(),
  bestParams: params.nullable(),
  config: runConfig,
  owner: z.string().nullable(),
  heartbeatAt: z.number().nullable(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  error: z.string().nullable(),
});
export const reviewEntry = z.object({
  name: z.enum(['default', 'best', 'majority baseline', 'active model']),
  params: params.nullable(),
  value: z.number().nullable(),
  accuracy: z.number().nullable(),
  rmse: z.number().nullable(),
  vsMajority: z.number().nullable(),
  note: z.string().nullable(),
});
export const runLive = z.object({ running: z.boolean(), progress: tuningProgress.nullable() });
export const paramImportance = z.object({
  param: z.string(),
  eta2: z.number(),
  epsilon2: z.number(),
  importance: z.number(),
  kind: z.enum(['numeric', 'categorical']),
});
export const listTuningRunsResponse = z.object({ runs: z.array(tuningRun.extend({ live: runLive })) });
export const startTuningRunResponse = z.object({ runId: z.string() });
export const getTuningRunResponse = z.object({ run: tuningRun, live: runLive, trials: z.array(trial) });
export const reviewTuningRunResponse = z.object({
  run: tuningRun.pick({
    id: true,
    method: true,
    model: true,
    status: true,
    objective: true,
    direction: true,
    trialsPlanned: true,
    trialsDone: true,
    dataFingerprint: true,
  }),
  comparison: z.array(reviewEntry),
  topTrials: z.array(
    z.object({
      number: z.number(),
      value: z.number(),
      accuracy: z.number(),
      rmse: z.number(),
      params: params,
    }),
  ),
  importance: z.array(paramImportance).nullable(),
  convergence: z.array(z.object({ number: z.number(), value: z.number() })),
  states: z.object({ running: z.number(), failed: z.number(), pruned: z.number(), complete: z.number() }),
  bestHp: bestHp.nullable(),
});
export const stopTuningRunResponse = z.object({ runId: z.string(), stopping: z.literal(true) });
