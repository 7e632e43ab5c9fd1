import { z } from 'zod';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../../errors.ts';
import { rateMovie } from '../../monitoring/rate-movie.ts';
import {
  earliestRatedAt,
  idFromText,
  idInBody,
  pageNumber,
  ratedAtFutureSlackMs,
} from '../request-bounds.ts';
import { defineRoute, type SignedInUser } from '../route-spec.ts';
import { ratingList, ratingResult } from '../schemas/people-schemas.ts';
import type { ServerContext } from '../server-context.ts';
import { movieViews } from './movies-routes.ts';

/** A rating value; the scale in force (GET /api/scale) narrows it further. */
const ratingValue = z.number().min(0).max(10).describe('on the scale of GET /api/scale');

/** 2100-01-01: the schema's own upper bound; the handler narrows it to a day ahead of now. */
const latestRatedAt = Date.UTC(2100, 0, 1);

const positiveId = idFromText();

/** A user acts only as themselves: a userId in the request must be theirs. */
function assertSelf(principal: SignedInUser, userId: number | undefined): void {
  if (userId !== undefined && userId !== principal.userId) {
    throw new ForbiddenError(`userId ${userId} is not you (you are user ${principal.userId})`);
  }
}

async function rate(
  server: ServerContext,
  userId: number,
  movieId: number,
  rating: number,
  ratedAt?: number,
) {
  const result = await rateMovie(
    server.db,
    { userId, movieId, rating, ...(ratedAt === undefined ? {} : { ratedAt }) },
    {
      now: server.now(),
      windowDays: server.config.trainingWindowDays,
      ...(server.config.likeThreshold === undefined ? {} : { likeThreshold: server.config.likeThreshold }),
    },
  );
  server.metrics.countRatingPosted();
  return {
    userId: result.userId,
    movieId: result.movieId,
    rating: result.rating,
    ratedAt: result.ratedAt,
    previousRating: result.previousRating,
    tracked: result.tracked,
  };
}

const listQuery = z
  .object({
    page: pageNumber(),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

async function listRatings(server: ServerContext, userId: number, page: number, pageSize: number) {
  const total = await server.catalog.countUserRatings(userId);
  const entries = await server.catalog.userRatingsPage(userId, pageSize, (page - 1) * pageSize);
  const views = await movieViews(
    server.catalog,
    entries.map((e) => e.movie),
    undefined,
  );
  return {
    userId,
    page,
    pageSize,
    total,
    ratings: entries.map((e, i) => ({ movie: views[i]!, rating: e.rating, ratedAt: e.ratedAt })),
  };
}

export const ratingRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/ratings',
    operationId: 'rateMovie',
    tag: 'ratings',
    summary:
      'Rate a movie as the signed-in user (a re-rating replaces it); the tracker validates it in the same transaction',
    access: 'user',
    errors: [404],
    body: z
      .object({
        movieId: idInBody(),
        rating: ratingValue,
        ratedAt: z
          .number()
          .int('must be a whole number of milliseconds')
          .min(earliestRatedAt, 'must be 1995-01-01 or later (epoch milliseconds)')
          .max(latestRatedAt, 'must be before 2100 (epoch milliseconds)')
          .optional()
          .describe('epoch milliseconds, at most a day ahead of the server clock; default now'),
        userId: idInBody().optional().describe('if given, must be your own user id'),
      })
      .strict(),
    response: ratingResult,
    async handler({ body, principal, server }) {
      assertSelf(principal, body.userId);
      if (body.ratedAt !== undefined && body.ratedAt > server.now() + ratedAtFutureSlackMs) {
        throw new InvalidInputError('body.ratedAt: must not be more than a day ahead of the server clock');
      }
      return rate(server, principal.userId, body.movieId, body.rating, body.ratedAt);
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/ratings/:movieId',
    operationId: 'changeRating',
    tag: 'ratings',
    summary: 'Change your rating of a movie (404 when you have not rated it)',
    access: 'user',
    errors: [404],
    params: z.object({ movieId: positiveId }),
    body: z.object({ rating: ratingValue }).strict(),
    response: ratingResult,
    async handler({ params, body, principal, server }) {
      if (!(await server.catalog.hasRating(principal.userId, params.movieId)))
        throw new NotFoundError(`you have not rated movie ${params.movieId}`);
      return rate(server, principal.userId, params.movieId, body.rating);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/ratings/:movieId',
    operationId: 'deleteRating',
    tag: 'ratings',
    summary: 'Delete your rating of a movie',
    access: 'user',
    errors: [404],
    params: z.object({ movieId: positiveId }),
    status: 204,
    async handler({ params, principal, server }) {
      if (!(await server.catalog.deleteRating(principal.userId, params.movieId)))
        throw new NotFoundError(`you have not rated movie ${params.movieId}`);
      return undefined;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/me/ratings',
    operationId: 'listMyRatings',
    tag: 'ratings',
    summary: 'Your ratings, newest first',
    access: 'user',
    query: listQuery,
    response: ratingList,
    async handler({ query, principal, server }) {
      return listRatings(server, principal.userId, query.page, query.pageSize);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/users/:userId/ratings',
    operationId: 'listUserRatings',
    tag: 'ratings',
    summary: "A user's ratings: only your own (or any, for the admin)",
    access: 'signed-in',
    params: z.object({ userId: positiveId }),
    query: listQuery,
    response: ratingList,
    async handler({ params, query, principal, server }) {
      if (principal.kind === 'user') assertSelf(principal, params.userId);
      return listRatings(server, params.userId, query.page, query.pageSize);
    },
  }),
];
