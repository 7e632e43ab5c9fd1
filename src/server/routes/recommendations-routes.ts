import { z } from 'zod';
import { type ServedItem, serveRecommendations } from '../../recommend/serve-recommendations.ts';
import { readUserHistory } from '../../recommend/user-history.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import { recommendationsResponse } from '../schemas/people-schemas.ts';
import { movieViews } from './movies-routes.ts';

export const recommendationRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/recommendations',
    operationId: 'getRecommendations',
    tag: 'recommendations',
    summary:
      "Tonight's picks for the signed-in user: top-N with predicted rating and reason, recorded with the serving version and A/B arm",
    access: 'user',
    errors: [404],
    query: z
      .object({
        n: z.coerce.number().int().min(1).max(100).default(10),
        genre: z.string().trim().min(1).max(60).optional(),
        yearFrom: z.coerce.number().int().min(1800).max(2200).optional(),
        yearTo: z.coerce.number().int().min(1800).max(2200).optional(),
      })
      .strict(),
    response: recommendationsResponse,
    async handler({ query, principal, server }) {
      // Read once for both the picks and their reasons.
      const history = await readUserHistory(server.db, principal.userId);
      const served = await serveRecommendations(
        server.db,
        {
          userId: principal.userId,
          history,
          n: query.n,
          filters: {
            ...(query.genre === undefined ? {} : { genre: query.genre }),
            ...(query.yearFrom === undefined ? {} : { yearFrom: query.yearFrom }),
            ...(query.yearTo === undefined ? {} : { yearTo: query.yearTo }),
          },
        },
        {
          now: server.now(),
          exploration: { epsilon: server.config.explorationEpsilon, pool: server.config.explorationPool },
          ...(server.servingStalenessMs === undefined ? {} : { maxStalenessMs: server.servingStalenessMs }),
        },
      );
      server.metrics.countRecommendationsServed();
      const reasons = await server.explanations.explain(served, server.now(), history);
      const views = await movieViews(
        server.catalog,
        served.items.map((i) => ({
          id: i.movieId,
          title: i.title,
          year: i.year,
          genres: i.genres,
        })),
        undefined,
        (ids) => server.movieStats.get(ids),
      );
      return {
        userId: served.userId,
        modelVersion: served.modelVersion,
        abTestId: served.abTestId,
        arm: served.arm,
        newUser: served.newUser,
        note: served.note,
        servedAt: served.servedAt,
        recommendations: served.items.map((item, i) => ({
          rank: item.rank,
          movie: views[i]!,
          predictedRating: item.predictedRating,
          explanation: reasons[i] || fallbackReason(item),
        })),
      };
    },
  }),
];

/** A reason from how the model arrived at its prediction, should the explainer have none. */
function fallbackReason(item: ServedItem): string {
  switch (item.fallback) {
    case 'none':
      return `Predicted ${item.predictedRating.toFixed(1)} ★ from your ratings and those of people with similar taste.`;
    case 'unknown-user':
    case 'unknown-both':
      return 'Well rated by other viewers; rate a few movies to get picks made for you.';
    case 'unknown-movie':
      return 'New in the catalogue: predicted from your average rating.';
  }
}
