import { z } from 'zod';

/** Model or tuning parameters by name: numbers, strings or booleans. */
export const params = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/**
 * A statistic that can be undefined (no samples yet) or infinite: JSON has no NaN or Infinity, so
 * such a value is sent as null.
 */
export const statistic = z.number().nullable().describe('null when undefined (no samples yet) or not finite');
