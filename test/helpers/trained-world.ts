import { generateIntoDatabase } from '../../src/data/generate.ts';
import { loadRatingsData } from '../../src/data/load-ratings.ts';
import type { Database } from '../../src/db/database.ts';
import { createModel } from '../../src/models/model-registry.ts';
import type { ModelParams } from '../../src/models/rating-model.ts';
import { fitAndRegister } from '../../src/registry/fit-and-register.ts';

/** A small generated world (fast to train) for the API, browser and A/B tests. */
export const smallWorld: { users: number; movies: number; ratings: number; seed: number; scale: 'half' } = {
  users: 60,
  movies: 150,
  ratings: 3000,
  seed: 7,
  scale: 'half',
};

export async function generateSmallWorld(
  db: Database,
  overrides: Partial<typeof smallWorld> = {},
): Promise<void> {
  await generateIntoDatabase(db, { ...smallWorld, ...overrides });
}

/**
 * Fits `kind` on every rating in the database and registers it (the first version becomes
 * champion), by the same path as `movienight train`. Its offline metrics are made up, different per
 * seed, so the dashboards' version charts have something to draw.
 */
export async function trainVersion(
  db: Database,
  kind = 'baseline',
  options: { activate?: boolean; seed?: number; params?: ModelParams } = {},
): Promise<number> {
  const seed = options.seed ?? 1;
  const { version } = await fitAndRegister(db, {
    model: createModel(kind, options.params),
    data: await loadRatingsData(db),
    seed,
    reason: 'manual',
    metrics: { rmse: 0.9 + seed / 100, accuracy: 0.7 },
    ...(options.activate === undefined ? {} : { activate: options.activate }),
  });
  return version.version;
}
