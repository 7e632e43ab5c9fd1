import { generateIntoDatabase } from '../../src/data/generate.ts';
import { loadRatingsData } from '../../src/data/load-ratings.ts';
import type { Database } from '../../src/db/database.ts';
import { createModel } from '../../src/models/model-registry.ts';
import { registerVersion, trainingDataInfo } from '../../src/registry/model-versions.ts';

/** A small generated world (fast to train) for the API and browser tests. */
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

/** Fits `kind` on every rating in the database and registers it (the first version becomes champion). */
export async function trainVersion(
  db: Database,
  kind = 'baseline',
  options: { activate?: boolean; seed?: number } = {},
): Promise<number> {
  const data = await loadRatingsData(db);
  const model = createModel(kind);
  model.fit(data, { seed: options.seed ?? 1 });
  const version = await registerVersion(db, {
    model,
    training: trainingDataInfo(data),
    reason: 'manual',
    metrics: { rmse: 0.9 + (options.seed ?? 1) / 100, accuracy: 0.7 },
    ...(options.activate === undefined ? {} : { activate: options.activate }),
  });
  return version.version;
}
