import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { runTuning } from '../tuning/run-tuning.ts';
import { type TuningMethod, tuningMethods } from '../tuning/sampler-registry.ts';
import type { TuningDataSelection } from '../tuning/tuning-storage.ts';

/** What the tune step hands to the fit step, and records. */
export interface RetrainTuning {
  readonly runId: string;
  readonly method: string;
  readonly trials: number;
  readonly bestTrialNumber: number | null;
  readonly bestValue: number | null;
  readonly params: ModelParams | null;
  /** Where the trials ran: this thread, or jobs on the queue. */
  readonly ranOn: 'this-thread' | 'queue';
}

/** Trials a queued retrain tuning keeps in flight when the retrain does not say. */
export const defaultQueuedTrials = 4;

/**
 * Tunes the model on the retrain's own training data with the tuner. Warm-started: earlier trials
 * of the same model, data and objective seed the Bayesian/TPE samplers, so each retrain's search
 * starts where the last one stopped. Without a queue the trials run in this thread (workers: 0)
 * because a retrain already runs off the serving thread, in the scheduler's worker. With a queue
 * this thread is the run's coordinator (the sampler and every write stay here) and the trials are
 * `tuning-trial` jobs that any worker takes, as `tune --queue` does: the selection names the rows
 * of `data` so a worker loads the same ones.
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
    readonly queue?: {
      readonly queue: JobQueue;
      readonly selection: TuningDataSelection;
      readonly inFlight: number;
    };
  },
): Promise<RetrainTuning> {
  if (!(tuningMethods as readonly string[]).includes(options.method)) {
    throw new InvalidInputError(
      `method must be one of ${tuningMethods.join(', ')}, got ${JSON.stringify(options.method)}`,
    );
  }
  const queued = options.queue;
  const result = await runTuning(db, {
    method: options.method as TuningMethod,
    model: options.model,
    trials: options.trials,
    seed: options.seed,
    data: options.data,
    movies: options.movies,
    workers: queued ? queued.inFlight : 0,
    ...(queued ? { queue: queued.queue, dataSelection: queued.selection } : {}),
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
    ranOn: queued ? 'queue' : 'this-thread',
  };
}
