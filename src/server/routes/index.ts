import type { AnyRoute } from '../route-spec.ts';
import { adminAbRoutes } from './admin-ab-routes.ts';
import { adminOverviewRoutes } from './admin-overview-routes.ts';
import { adminQueueRoutes } from './admin-queue-routes.ts';
import { adminReportsRoutes } from './admin-reports-routes.ts';
import { adminStatusRoutes } from './admin-status-routes.ts';
import { adminTrackingRoutes } from './admin-tracking-routes.ts';
import { adminTuningRoutes } from './admin-tuning-routes.ts';
import { adminTuningViewRoutes } from './admin-tuning-view-routes.ts';
import { adminVersionsRoutes } from './admin-versions-routes.ts';
import { authRoutes } from './auth-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { moviePageRoutes } from './movie-page-routes.ts';
import { movieRoutes } from './movies-routes.ts';
import { ratingRoutes } from './ratings-routes.ts';
import { recommendationRoutes } from './recommendations-routes.ts';

/** Every route of the server, by area. Explicit, like every registry in MovieNight. */
export const allRoutes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...authRoutes,
  ...movieRoutes,
  ...moviePageRoutes,
  ...ratingRoutes,
  ...recommendationRoutes,
  ...adminStatusRoutes,
  ...adminOverviewRoutes,
  ...adminTrackingRoutes,
  ...adminVersionsRoutes,
  ...adminAbRoutes,
  ...adminReportsRoutes,
  ...adminTuningRoutes,
  ...adminTuningViewRoutes,
  ...adminQueueRoutes,
];
