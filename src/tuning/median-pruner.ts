import type { Direction } from './sampler.ts';

/** One reported validation score: after `step` (an epoch of the first fold). */
export interface IntermediateValue {
  readonly step: number;
  readonly value: number;
}

export interface MedianPrunerOptions {
  /** No pruning until this many trials have completed (default 5). */
  readonly startupTrials?: number;
  /** No pruning before this step (default 3 epochs: early epochs say little). */
  readonly warmupSteps?: number;
}

/**
 * Optuna's median rule: stop a trial when its score at a step is worse than the median of the
 * completed trials' scores at that same step. Plain data in, a decision out, so it can run inside
 * a worker thread with a snapshot of the completed trials' curves taken when the trial started.
 */
export class MedianPruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 5;
    this.warmupSteps = options.warmupSteps ?? 3;
  }

  /**
   * `completed` are the intermediate curves of completed trials; `value` the current trial's score
   * at `step`. True means prune.
   */
  shouldPrune(
    completed: readonly (readonly IntermediateValue[])[],
    step: number,
    value: number,
    direction: Direction,
  ): boolean {
    if (completed.length < this.startupTrials || step < this.warmupSteps || !Number.isFinite(value))
      return false;
    const atStep: number[] = [];
    for (const curve of completed) {
      const point = curve.find((p) => p.step === step);
      if (point && Number.isFinite(point.value)) atStep.push(point.value);
    }
    if (atStep.length === 0) return false;
    atStep.sort((a, b) => a - b);
    const m = atStep.length >> 1;
    const median = atStep.length % 2 ? atStep[m]! : (atStep[m - 1]! + atStep[m]!) / 2;
    return direction === 'maximize' ? value < median : value > median;
  }
}
