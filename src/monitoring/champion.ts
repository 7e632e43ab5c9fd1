import type { Queryable } from '../db/database.ts';

/**
 * The version the `champion` alias points at, or null when no model is active. The tracker and the
 * revalidation check only need the number; the registry (engineer D) owns the alias itself.
 */
export async function championVersion(db: Queryable): Promise<number | null> {
  const row = await db.get<{ version: number }>("SELECT version FROM model_aliases WHERE alias = 'champion'");
  return row ? Number(row.version) : null;
}
