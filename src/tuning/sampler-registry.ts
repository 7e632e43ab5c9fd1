import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { Sampler } from './sampler.ts';
import { BayesianSampler, type BayesianSamplerOptions } from './samplers/bayesian-sampler.ts';
import { GridSampler } from './samplers/grid-sampler.ts';
import { RandomSampler } from './samplers/random-sampler.ts';
import { TpeSampler, type TpeSamplerOptions } from './samplers/tpe-sampler.ts';

/** The tuning methods, by the name `--method` takes. */
export type TuningMethod = 'grid' | 'random' | 'bayesian' | 'tpe';
export const tuningMethods: readonly TuningMethod[] = ['grid', 'random', 'bayesian', 'tpe'];

/** Default trial counts: 81 grid points (3 values × 4 params), 50 random, 20 Bayesian, 30 TPE. */
export const defaultTrialCounts: Readonly<Record<TuningMethod, number>> = {
  grid: 81,
  random: 50,
  bayesian: 20,
  tpe: 30,
};

export function isTuningMethod(value: string): value is TuningMethod {
  return (tuningMethods as readonly string[]).includes(value);
}

export function requireTuningMethod(value: string): TuningMethod {
  if (!isTuningMethod(value)) {
    throw new InvalidInputError(
      `method must be one of ${tuningMethods.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Settings of the samplers that have any; each sampler reads its own. */
export interface SamplerOptions {
  /** The grid's points (fixed when the run is created). */
  readonly gridPoints?: readonly ModelParams[];
  readonly bayesian?: BayesianSamplerOptions;
  readonly tpe?: TpeSamplerOptions;
}

/** Builds the sampler of a method with its options. */
export function createSampler(method: TuningMethod, options: SamplerOptions = {}): Sampler {
  switch (method) {
    case 'grid':
      return new GridSampler(options.gridPoints ?? []);
    case 'random':
      return new RandomSampler();
    case 'bayesian':
      return new BayesianSampler(options.bayesian);
    case 'tpe':
      return new TpeSampler(options.tpe);
  }
}
