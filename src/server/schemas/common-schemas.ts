import { z } from 'zod';

/** Model or tuning parameters by name: numbers, strings or booleans. */
export const params = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
