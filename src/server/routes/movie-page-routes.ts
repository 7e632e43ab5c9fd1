import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import { readUserHistory } from '../../recommend/user-history.ts';
import { readMoviesByIds } from '../movie-page-store.ts';
import { idFromText } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import { moviePageResponse } from '../schemas/people-schemas.ts';
import { movieViews } from './movies-routes.ts';

const idParam = z.object({
  id: idFromText(),
});

/**
 * The movie page's data in one answer: the movie (with the caller's rating), the movies most often
 * liked by the same people, and which of the caller's liked movies are among them ("because you
 * liked …").
 */
export const moviePageRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/movies/:id/page',
    operationId: 'getMoviePage',
    tag: 'movies',
    summary: 'A movie with the movies liked by the same people, and which of them you liked',
    access: 'optional',
    errors: [404],
    params: idParam,
    query: z.object({ similar: z.coerce.number().int().min(1).max(24).default(8) }).strict(),
    response: moviePageResponse,
    async handler({ params, query, principal, server }) {
      const [row] = await readMoviesByIds(server.db, [params.id]);
      if (!row) throw new NotFoundError(`movie ${params.id} does not exist`);
      const userId = principal.kind === 'user' ? principal.userId : undefined;
      const now = server.now();
      const liked = new Set<number>();
      if (userId !== undefined) {
        const line = await server.explanations.likeLine(now);
        const history = await readUserHistory(server.db, userId);
        for (const [movieId, rating] of history.ratings)
          if (line !== null && rating >= line) liked.add(movieId);
      }
      const near = await server.explanations.similarTo(params.id, query.similar, now, liked);
      const [movie] = await movieViews(server.catalog, [row], userId);
      const similarRows = await readMoviesByIds(server.db, near.similar);
      const becauseRows = await readMoviesByIds(server.db, near.becauseYouLiked);
      return {
        movie: movie!,
        similar: await movieViews(server.catalog, similarRows, userId),
        becauseYouLiked: becauseRows.map((r) => ({ id: r.id, title: r.title })),
      };
    },
  }),
];
