/**
 * JSON shapes of the admin answers about the tracker, retrain triggers and the overview. Each
 * record schema mirrors the record type the library returns, and each `…Response` is the
 * `response` of the route with that operationId: the route's handler is typed by it (a field
 * renamed, retyped or dropped in the record fails the typecheck), tests check every answer against
 * it at run time, and /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';

export const overviewCounts = z.object({
  users: z.number(),
  accounts: z.number(),
  movies: z.number(),
  ratings: z.number(),
  served: z.number(),
  tracked: z.number(),
  versions: z.number(),
  tuningRuns: z.number(),
});
export const accuracyFigure = z.object({
  samples: z.number(),
  hits: z.number(),
  accuracy: z.number().nullable(),
  low: z.number(),
  high: z.number(),
  mae: z.number().nullable(),
});
/** The days of outcomes a figure covers: from and to are epoch milliseconds. */
const trackingWindow = z.object({ days: z.number(), from: z.number(), to: z.number() });
export const movieAccuracy = accuracyFigure.extend({ movieId: z.number(), title: z.string().nullable() });
export const retrainTrigger = z.object({
  id: z.number(),
  source: z.enum(['auto', 'manual']),
  reason: z.string(),
  numbers: z.record(z.string(), z.number().nullable()),
  options: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'abandoned']),
  outcome: z.string().nullable(),
  holder: z.string().nullable(),
  newVersion: z.number().nullable(),
  abTestId: z.number().nullable(),
  error: z.string().nullable(),
  triggeredAt: z.number(),
  startedAt: z.number().nullable(),
  heartbeatAt: z.number().nullable(),
  endedAt: z.number().nullable(),
});
export const driftVerdict = z.object({
  fired: z.boolean(),
  kind: z.enum(['page-hinkley', 'cusum', 'adwin']),
  samples: z.number(),
  changeIndex: z.number().nullable(),
  alarmIndex: z.number().nullable(),
  before: z.number().nullable(),
  after: z.number().nullable(),
  samplesBefore: z.number(),
  samplesAfter: z.number(),
});
export const driftCheck = z.object({
  state: z.enum(['off', 'none', 'settling', 'fired']),
  from: z.number(),
  changeAt: z.number().nullable(),
  alarmAt: z.number().nullable(),
  verdict: driftVerdict.nullable(),
  rule: z.string(),
});
export const recoveryCheck = z.object({
  level: z.number(),
  changeAt: z.number(),
  since: z.number(),
  from: z.number(),
  champion: accuracyFigure,
});
const retrainRule = z.enum(['threshold', 'drift', 'recovery']);
export const retrainRequestDraft = z.object({
  rule: retrainRule,
  reason: z.string(),
  numbers: z.record(z.string(), z.number().nullable()),
});
export const revalidationOutcome = z.object({
  trigger: z
    .union([
      z.object({ created: z.literal(true), trigger: retrainTrigger }),
      z.object({ created: z.literal(false), blocked: z.string(), openTrigger: retrainTrigger.nullable() }),
    ])
    .nullable(),
  checkedAt: z.number(),
  window: trackingWindow,
  championVersion: z.number().nullable(),
  /** Established users' outcomes only, with how many distinct users they come from. */
  champion: accuracyFigure.extend({ users: z.number() }),
  worstMovies: z.array(movieAccuracy),
  verdict: z.enum(['retrain', 'ok', 'insufficient-samples', 'no-champion']),
  rule: z.string(),
  drift: driftCheck,
  recovery: recoveryCheck.nullable(),
  firedRule: retrainRule.nullable(),
  request: retrainRequestDraft.nullable(),
});
export const trackStatus = z.object({
  now: z.number(),
  window: trackingWindow,
  counts: z.object({ tracked: z.number(), recommended: z.number(), unexpected: z.number() }),
  championVersion: z.number().nullable(),
  overall: accuracyFigure,
  byVersion: z.array(accuracyFigure.extend({ version: z.number().nullable() })),
  byArm: z.array(accuracyFigure.extend({ arm: z.string().nullable() })),
  byDay: z.array(accuracyFigure.extend({ day: z.string() })),
  worstMovies: z.array(movieAccuracy),
  check: revalidationOutcome,
  thresholds: z.array(z.object({ setting: z.string(), value: z.unknown(), env: z.string() })),
  lock: z.object({
    holder: z.string().nullable(),
    triggerId: z.number().nullable(),
    heartbeatAt: z.number().nullable(),
  }),
  recentTriggers: z.array(retrainTrigger),
  /** The configured job queue (URL without its password), or null: work runs where it is asked. */
  queue: z.string().nullable(),
});
export const retrainStep = z.object({
  step: z.string(),
  status: z.enum(['running', 'failed', 'abandoned', 'done']),
  details: z.record(z.string(), z.unknown()),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
});
export const getOverviewResponse = z.object({
  counts: overviewCounts,
  modelKinds: z.array(z.string()),
  tuningMethods: z.array(z.enum(['grid', 'random', 'bayesian', 'tpe'])),
});
export const previewUserPicksResponse = z.object({
  userId: z.number(),
  modelVersion: z.number(),
  ratings: z.number(),
  newUser: z.boolean(),
  picks: z.array(
    z.object({
      rank: z.number(),
      movieId: z.number(),
      title: z.string(),
      year: z.number().nullable(),
      genres: z.array(z.string()),
      predictedRating: z.number(),
    }),
  ),
});
export const getTrackerStatusResponse = trackStatus;
export const listRetrainTriggersResponse = z.object({
  triggers: z.array(retrainTrigger),
  running: z.array(z.string()),
});
export const getRetrainTriggerResponse = z.object({ trigger: retrainTrigger, steps: z.array(retrainStep) });
export const requestRetrainResponse = z.object({ trigger: retrainTrigger });
