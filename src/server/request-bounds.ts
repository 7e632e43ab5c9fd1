import { z } from 'zod';

/**
 * Bounds shared by the request schemas, so every value that enters is in a range the database and
 * the code behind can hold (and /openapi.json states it).
 */

/** Ids are 32-bit in PostgreSQL's INTEGER columns; a larger one could only be "not found". */
export const maxId = 2_147_483_647;

/** A positive whole id, from a path or query string. */
export const idFromText = () =>
  z.coerce
    .number()
    .int('must be a whole number')
    .positive('must be positive')
    .max(maxId, `must be at most ${maxId}`);

/** A positive whole id in a JSON body. */
export const idInBody = () =>
  z
    .number()
    .int('must be a whole number')
    .positive('must be positive')
    .max(maxId, `must be at most ${maxId}`);

/** A page number: beyond this every list is empty anyway, and the offset stays small. */
export const pageNumber = () => z.coerce.number().int().min(1).max(100_000).default(1);

/** A seed for the seeded generator: a 32-bit unsigned integer. */
export const seedNumber = () => z.number().int().min(0).max(4_294_967_295);

/** The earliest rating time the API accepts: 1995-01-01, before the first MovieLens rating. */
export const earliestRatedAt = Date.UTC(1995, 0, 1);
/** The latest a rating time may be ahead of the server's clock (clients' clocks drift). */
export const ratedAtFutureSlackMs = 24 * 3_600_000;
