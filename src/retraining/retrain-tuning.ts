import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { runTuning } from '../tuning/run-tuning.ts';
import { type TuningMethod, tuningMethods } from '../tuning/sampler-registry.ts';

/** What the tune step hands to the fit step, and records. */
export interface RetrainTuning {
  readonly runId: string;
  readonly method: string;
  readonly trials: number;
  readonly bestTrialNumber: number | null;
  readonly bestValue: number | null;
  readonly params: ModelParams | null;
}

/**
 * Tunes the model on the retrain's own training data with the tuner. Warm-started: earlier trials
 * of the same model, data and objective seed the Bayesian/TPE samplers, so each retrain's search
 * starts where the last one stopped. Trials run in this thread (workers: 0) because a retrain
 * already runs off the serving thread, in the scheduler's worker.
 */
export async function tuneForRetrain(
  db: Database,
  options: {
    readonly model: string;
    readonly method: string;
    readonly trials: number;
    readonly seed: number;
    readonly data: RatingsData;
    readonly movies: ReadonlyMap<number, MovieInfo>;
  },
): Promise<RetrainTuning> {
  if (!(tuningMethods as readonly string[]).includes(options.method)) {
    throw new InvalidInputError(
      `method must be one of ${tuningMethods.join(', ')}, got ${JSON.stringify(options.method)}`,
    );
  }
  const result = await runTuning(db, {
    method: options.method as TuningMethod,
    model: options.model,
    trials: options.trials,
    seed: options.seed,
    data: options.data,
    movies: options.movies,
    workers: 0,
    warmStart: true,
    bestOut: null,
  });
  return {
    runId: result.run.id,
    method: result.run.method,
    trials: result.trials.length,
    bestTrialNumber: result.best?.number ?? null,
    bestValue: result.best?.value ?? null,
    params: result.best?.params ?? null,
  };
}
