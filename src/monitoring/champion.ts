import type { Queryable } from '../db/database.ts';
import { readAliases } from '../registry/aliases.ts';

/**
 * The version the `champion` alias points at, or null when no model is active. The tracker and the
 * revalidation check only need the number (not the loaded model), so they read the alias through
 * the registry rather than loading the champion.
 */
export async function championVersion(db: Queryable): Promise<number | null> {
  return (await readAliases(db)).get('champion') ?? null;
}
