import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import type { RatingModel } from '../models/rating-model.ts';
import {
  type ModelVersion,
  type RegisterVersionInput,
  registerVersion,
  trainingDataInfo,
} from './model-versions.ts';

/** What a fit-and-register did. Plain data. */
export interface FitAndRegisterResult {
  readonly version: ModelVersion;
  readonly fitSeconds: number;
}

/**
 * Fits `model` on `data` (seeded; with the catalogue for the models that use genres) and registers
 * it as the next version with its training facts and fit time: the one path by which `train`, the
 * first version `serve` makes on a new database, and the tuning workflow's refit become versions.
 * `metrics` are added to `fitSeconds`.
 */
export async function fitAndRegister(
  db: Database,
  input: {
    readonly model: RatingModel;
    readonly data: RatingsData;
    readonly movies?: ReadonlyMap<number, MovieInfo>;
    readonly seed: number;
  } & Pick<RegisterVersionInput, 'reason' | 'metrics' | 'activate' | 'tuningRunId' | 'tuningTrialNumber'>,
): Promise<FitAndRegisterResult> {
  const { model, data, movies, seed, metrics, ...registration } = input;
  const started = performance.now();
  model.fit(data, { seed, ...(movies ? { movies } : {}) });
  const fitSeconds = (performance.now() - started) / 1000;
  const version = await registerVersion(db, {
    ...registration,
    model,
    training: trainingDataInfo(data),
    metrics: { ...metrics, fitSeconds },
  });
  return { version, fitSeconds };
}
