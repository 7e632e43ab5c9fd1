import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { SqlAccountStore } from './account-store.ts';

export interface AdminToken {
  readonly token: string;
  /** Where it came from: the environment, or generated and kept in the settings table. */
  readonly source: 'environment' | 'database';
}

/**
 * The admin token: MOVIENIGHT_ADMIN_TOKEN when set, else the one generated on the first start and
 * kept in `settings`, so a restart does not change it (and bookmarked dashboards keep working).
 * Insert-if-absent, then read back: two servers starting at once agree on one token.
 */
export async function resolveAdminToken(
  db: Database,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AdminToken> {
  const fromEnv = env.MOVIENIGHT_ADMIN_TOKEN;
  if (fromEnv) return { token: fromEnv, source: 'environment' };
  const token = await new SqlAccountStore(db).settingInsertedOnce(
    'admin_token',
    randomBytes(24).toString('base64url'),
    Date.now(),
  );
  return { token, source: 'database' };
}

/** Constant-time comparison of a presented token with the admin token. */
export function isAdminToken(presented: string, adminToken: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(adminToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
