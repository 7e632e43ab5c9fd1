import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import {
  evaluateOnRecentHoldout,
  type HoldoutMetrics,
  holdoutVersionMetrics,
} from '../evaluation/holdout.ts';
import { createModel } from '../models/model-registry.ts';
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
  /** The holdout measurement made before the final fit, when asked for. */
  readonly holdout: HoldoutMetrics | null;
}

/**
 * Fits `model` on `data` (seeded; with the catalogue for the models that use genres) and registers
 * it as the next version with its training facts and fit time: the one path by which `train`, the
 * first version `serve` makes on a new database, and the tuning workflow's refit become versions.
 * With `holdoutFraction`, the same configuration is first fitted on all but the most recent
 * ratings and scored on them, and those offline metrics (accuracy, RMSE, MAE, majority baseline,
 * holdout rows — the ones a retrain stores) are stored with the version. `metrics` are added.
 */
export async function fitAndRegister(
  db: Database,
  input: {
    readonly model: RatingModel;
    readonly data: RatingsData;
    readonly movies?: ReadonlyMap<number, MovieInfo>;
    readonly seed: number;
    /** Measure on this most recent share of the ratings before the final fit (e.g. 0.1). */
    readonly holdoutFraction?: number;
    /** The "liked" line for the holdout accuracy (default by the rating scale). */
    readonly likeThreshold?: number;
  } & Pick<RegisterVersionInput, 'reason' | 'metrics' | 'activate' | 'tuningRunId' | 'tuningTrialNumber'>,
): Promise<FitAndRegisterResult> {
  const { model, data, movies, seed, metrics, holdoutFraction, likeThreshold, ...registration } = input;
  const holdout =
    holdoutFraction === undefined
      ? null
      : evaluateOnRecentHoldout({
          make: () => createModel(model.kind, model.params),
          data,
          ...(movies ? { movies } : {}),
          seed,
          fraction: holdoutFraction,
          ...(likeThreshold === undefined ? {} : { likeThreshold }),
        });
  const started = performance.now();
  model.fit(data, { seed, ...(movies ? { movies } : {}) });
  const fitSeconds = (performance.now() - started) / 1000;
  const version = await registerVersion(db, {
    ...registration,
    model,
    training: trainingDataInfo(data),
    metrics: { ...(holdout ? holdoutVersionMetrics(holdout) : {}), ...metrics, fitSeconds },
  });
  return { version, fitSeconds, holdout };
}
