/**
 * The JSON the server takes and answers. Request bodies are typed from the zod schemas the server
 * validates them with (found by operationId); answers from the zod response schemas the server's
 * handlers are typed by and its tests check every answer against (and /openapi.json publishes), so
 * the web app cannot drift from the server. Type-only imports: nothing of the server ends up in
 * the bundle.
 */
import type { z } from 'zod';
import type { JsonOf, RouteBody } from '../../src/server/route-spec.ts';
import type { adminAbRoutes } from '../../src/server/routes/admin-ab-routes.ts';
import type { queueStateResponse } from '../../src/server/routes/admin-queue-routes.ts';
import type { adminTrackingRoutes } from '../../src/server/routes/admin-tracking-routes.ts';
import type { adminTuningRoutes } from '../../src/server/routes/admin-tuning-routes.ts';
import type { authRoutes } from '../../src/server/routes/auth-routes.ts';
import type { ratingRoutes } from '../../src/server/routes/ratings-routes.ts';
import type { getCurrentAbTestResponse, listAbTestsResponse } from '../../src/server/schemas/ab-schemas.ts';
import type {
  genresResponse,
  meResponse,
  moviePageResponse,
  movieSchema,
  movieSearchResponse,
  ratingList,
  ratingScaleResponse,
  recommendationsResponse,
} from '../../src/server/schemas/people-schemas.ts';
import type { getReportChartsResponse, impactReport } from '../../src/server/schemas/report-schemas.ts';
import type {
  getOverviewResponse,
  getRetrainTriggerResponse,
  getTrackerStatusResponse,
  listRetrainTriggersResponse,
  previewUserPicksResponse,
  requestRetrainResponse,
} from '../../src/server/schemas/tracking-schemas.ts';
import type {
  getTuningRunResponse,
  listTuningRunsResponse,
  startTuningRunResponse,
} from '../../src/server/schemas/tuning-schemas.ts';
import type {
  getAliasHistoryResponse,
  getVersionResponse,
  listVersionsResponse,
} from '../../src/server/schemas/versions-schemas.ts';

/** The JSON of a response schema, read-only as the web app treats it. */
type Answer<S extends z.ZodType> = JsonOf<z.output<S>>;

export type Me = Answer<typeof meResponse>;
export type Movie = Answer<typeof movieSchema>;
export type Scale = Answer<typeof ratingScaleResponse>;
export type Genres = Answer<typeof genresResponse>;
export type MovieSearch = Answer<typeof movieSearchResponse>;
export type MoviePageData = Answer<typeof moviePageResponse>;
export type RatingList = Answer<typeof ratingList>;
export type Picks = Answer<typeof recommendationsResponse>;
export type Pick = Picks['recommendations'][number];

export type Overview = Answer<typeof getOverviewResponse>;
export type PicksPreview = Answer<typeof previewUserPicksResponse>;
export type TrackerStatus = Answer<typeof getTrackerStatusResponse>;
export type RetrainTriggers = Answer<typeof listRetrainTriggersResponse>;
export type RetrainTrigger = RetrainTriggers['triggers'][number];
export type RetrainTriggerDetail = Answer<typeof getRetrainTriggerResponse>;
export type RetrainStarted = Answer<typeof requestRetrainResponse>;
export type Versions = Answer<typeof listVersionsResponse>;
export type Version = Answer<typeof getVersionResponse>;
export type AliasHistory = Answer<typeof getAliasHistoryResponse>;
export type AliasMove = AliasHistory['history'][number];
export type CurrentAbTest = Answer<typeof getCurrentAbTestResponse>;
export type AbTests = Answer<typeof listAbTestsResponse>;
export type TuningRuns = Answer<typeof listTuningRunsResponse>;
export type RunSummary = TuningRuns['runs'][number];
export type TuningRunDetail = Answer<typeof getTuningRunResponse>;
export type Trial = TuningRunDetail['trials'][number];
export type TuningStarted = Answer<typeof startTuningRunResponse>;
export type ReportCharts = Answer<typeof getReportChartsResponse>;
export type ImpactReport = Answer<typeof impactReport>;

export type Credentials = RouteBody<typeof authRoutes, 'signUp'>;
export type AdminSignInBody = RouteBody<typeof authRoutes, 'adminSignIn'>;
export type RatingBody = RouteBody<typeof ratingRoutes, 'rateMovie'>;
export type AbTestStartBody = RouteBody<typeof adminAbRoutes, 'startAbTest'>;
export type RetrainBody = RouteBody<typeof adminTrackingRoutes, 'requestRetrain'>;
export type TuningRunBody = RouteBody<typeof adminTuningRoutes, 'startTuningRun'>;

/** The job queue and its running or waiting jobs (admin). */
export type QueueState = Answer<typeof queueStateResponse>;
