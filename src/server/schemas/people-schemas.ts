/**
 * JSON shapes of the answers people's routes give (accounts, movies, ratings, picks). Each is the
 * `response` of its routes: the handlers are typed by it, tests check every answer against it, and
 * /openapi.json publishes it. The web app takes its types from here.
 */
import { z } from 'zod';

export const movieSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  year: z.number().int().nullable(),
  genres: z.array(z.string()),
  averageRating: z.number().nullable(),
  ratingCount: z.number().int(),
  myRating: z.number().nullable().optional(),
});

export const movieSearchResponse = z.object({
  page: z.number(),
  pageSize: z.number(),
  total: z.number(),
  movies: z.array(movieSchema),
});

export const genresResponse = z.array(z.object({ genre: z.string(), movies: z.number() }));

export const ratingScaleResponse = z.object({ min: z.number(), max: z.number(), step: z.number() });

export const moviePageResponse = z.object({
  movie: movieSchema,
  similar: z.array(movieSchema),
  becauseYouLiked: z.array(z.object({ id: z.number(), title: z.string() })),
});

export const pickSchema = z.object({
  rank: z.number(),
  movie: movieSchema,
  predictedRating: z.number(),
  explanation: z.string(),
});

export const recommendationsResponse = z.object({
  userId: z.number(),
  modelVersion: z.number(),
  abTestId: z.number().nullable(),
  arm: z.string(),
  newUser: z.boolean(),
  note: z.string().nullable(),
  servedAt: z.number(),
  recommendations: z.array(pickSchema),
});

export const ratingResult = z.object({
  userId: z.number(),
  movieId: z.number(),
  rating: z.number(),
  ratedAt: z.number(),
  previousRating: z.number().nullable(),
  /** What the tracker made of it: validated against a served recommendation, or unexpected. */
  tracked: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('recommended'),
      servedId: z.number(),
      modelVersion: z.number().nullable(),
      abTestId: z.number().nullable(),
      arm: z.string().nullable(),
      predictedRating: z.number(),
      error: z.number(),
      likedPredicted: z.boolean(),
      likedActual: z.boolean(),
      hit: z.boolean(),
      servedAt: z.number(),
    }),
    z.object({ kind: z.literal('unexpected'), likedActual: z.boolean() }),
  ]),
});

export const ratingList = z.object({
  userId: z.number(),
  page: z.number(),
  pageSize: z.number(),
  total: z.number(),
  ratings: z.array(z.object({ movie: movieSchema, rating: z.number(), ratedAt: z.number() })),
});

export const meResponse = z.object({
  kind: z.enum(['anonymous', 'user', 'admin']),
  userId: z.number().int().optional(),
  username: z.string().optional(),
});

export type MovieView = z.infer<typeof movieSchema>;
