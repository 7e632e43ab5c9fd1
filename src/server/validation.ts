import type { z } from 'zod';
import { InvalidInputError } from '../errors.ts';

/**
 * Parses request input with a zod schema; a failure becomes an InvalidInputError (400) whose
 * message names the part of the request and the field, e.g. `body.rating: must be ≤ 5`.
 */
export function parseInput<S extends z.ZodType>(
  where: 'body' | 'query' | 'path',
  schema: S,
  value: unknown,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.slice(0, 3).map((issue) => {
    const field = issue.path.length ? `${where}.${issue.path.join('.')}` : where;
    return `${field}: ${issue.message}`;
  });
  throw new InvalidInputError(messages.join('; '));
}
