import type { ModelParams } from '../models/rating-model.ts';
import { paramsKey, type SearchSpace } from './search-space.ts';

/** Whether a bigger objective value is better. */
export type Direction = 'maximize' | 'minimize';

/** A trial's state. `complete`, `pruned` and `failed` are final: such a trial never changes. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/** What a sampler sees of one trial. */
export interface SampledTrial {
  readonly number: number;
  readonly params: ModelParams;
  readonly state: TrialState;
  /** The objective; null unless complete (pruned trials carry their last intermediate value). */
  readonly value: number | null;
  /** How long the trial took (its folds one after another), once finished; null while running. */
  readonly durationMs?: number | null;
}

/** A finished trial of an earlier run on the same model and data ("prior results"). */
export interface PriorTrial {
  readonly params: ModelParams;
  readonly value: number;
}

export interface SampleContext {
  readonly space: SearchSpace;
  readonly direction: Direction;
  /** Every trial of this run so far, in number order (running ones are the pending points). */
  readonly trials: readonly SampledTrial[];
  /** Complete trials from earlier runs of the same model, data and objective (warm start). */
  readonly prior: readonly PriorTrial[];
  /** The number the new trial will get. */
  readonly number: number;
  /** The run's seed; a sampler derives the trial's stream from (seed, number). */
  readonly seed: number;
}

/**
 * Proposes the next configuration (Optuna's sampler, reduced to one call): given the search space,
 * the history and the pending (running) trials, return the params of trial `number`, or null when
 * the sampler has nothing left to propose (a finished grid). Must be deterministic in its context:
 * the same context gives the same params.
 */
export interface Sampler {
  readonly name: string;
  sample(context: SampleContext): ModelParams | null;
}

/**
 * Configurations a sampler must not propose again: every trial's, failed ones included (a
 * configuration that failed by itself would fail again; one whose process died is retried by the
 * run, not re-proposed by the sampler).
 */
export function takenKeys(trials: readonly SampledTrial[]): Set<string> {
  return new Set(trials.map((t) => paramsKey(t.params)));
}
