import { z } from 'zod';
import { loadMovies } from '../../data/load-movies.ts';
import { modelKinds } from '../../models/model-registry.ts';
import { noRatings } from '../../recommend/serve-recommendations.ts';
import { TopNRecommender } from '../../recommend/top-n.ts';
import { readUserHistory } from '../../recommend/user-history.ts';
import { getActiveModelVersion } from '../../registry/active-model.ts';
import { tuningMethods } from '../../tuning/sampler-registry.ts';
import { readOverviewCounts } from '../overview-store.ts';
import { idFromText } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import { getOverviewResponse, previewUserPicksResponse } from '../schemas/tracking-schemas.ts';

export const adminOverviewRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/overview',
    operationId: 'getOverview',
    tag: 'admin: status',
    summary:
      'Counts of users, accounts, movies, ratings, served and tracked recommendations, versions; the model kinds and tuning methods there are',
    access: 'admin',
    response: getOverviewResponse,
    async handler({ server }) {
      return { counts: await readOverviewCounts(server.db), modelKinds: modelKinds(), tuningMethods };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/admin/users/:userId/picks',
    operationId: 'previewUserPicks',
    tag: 'admin: status',
    summary:
      "Preview any user's picks from the champion; nothing is recorded as served (the tracker never sees them)",
    access: 'admin',
    response: previewUserPicksResponse,
    errors: [404],
    params: z.object({
      userId: idFromText(),
    }),
    query: z.object({ n: z.coerce.number().int().min(1).max(50).default(10) }).strict(),
    async handler({ params, query, server }) {
      const active = await getActiveModelVersion(server.db, { now: server.now() });
      const history = await readUserHistory(server.db, params.userId);
      const recommender = new TopNRecommender({
        model: active.model,
        ratings: noRatings,
        movies: await loadMovies(server.db),
      });
      const top = recommender.recommend({
        userId: params.userId,
        n: query.n,
        history: history.ratings,
        foldInHistory: history.recent,
        rated: history.rated,
        explain: false,
      });
      return {
        userId: params.userId,
        modelVersion: active.version.version,
        ratings: history.ratings.size,
        newUser: top.newUser,
        picks: top.items.map((i) => ({
          rank: i.rank,
          movieId: i.movieId,
          title: i.title,
          year: i.year,
          genres: i.genres,
          predictedRating: i.predictedRating,
        })),
      };
    },
  }),
];
