import { requireWholeNumber } from '../input-schemas.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { IntermediateValue, MedianPruner } from './median-pruner.ts';
import { MemoryTuningStorage } from './memory-tuning-storage.ts';
import type { Direction, PriorTrial, Sampler } from './sampler.ts';
import { RandomSampler } from './samplers/random-sampler.ts';
import { normalizeSpace, type SearchSpace } from './search-space.ts';
import type { Trial, TrialOutcome, TuningRun, TuningStorage } from './tuning-storage.ts';

/** What a study is told at creation (Optuna's `create_study`). */
export interface StudyOptions {
  /** What the sampler may propose. */
  readonly space: SearchSpace;
  /** Default: uniform random draws. */
  readonly sampler?: Sampler;
  /** Where the trials are kept; default: in this process's memory. `SqlTuningStorage` keeps them in a database. */
  readonly storage?: TuningStorage;
  /** Default `minimize`, as in Optuna. */
  readonly direction?: Direction;
  /** Studies of the same name share their complete trials as a warm start (default `study`). */
  readonly name?: string;
  /** Stops trials whose reported values fall behind the median of the completed ones. */
  readonly pruner?: MedianPruner;
  /** Seeds the sampler: the same seed proposes the same configurations (default 0). */
  readonly seed?: number;
  /** The clock, for the stored times (default `Date.now`). */
  readonly now?: () => number;
}

/** The trial an objective receives: the configuration to try, and where to report progress. */
export interface StudyTrial {
  readonly number: number;
  readonly params: ModelParams;
  /** Records the objective's value after `step` (an epoch), for the pruner and the record. */
  report(step: number, value: number): void;
  /** True when the pruner says this trial should stop; the objective then throws `TrialPruned`. */
  shouldPrune(): boolean;
}

/** The function a study optimises; its return value is the trial's value. */
export type Objective = (trial: StudyTrial) => number | Promise<number>;

/** Thrown by an objective that stops early: the trial is stored as pruned, and the study goes on. */
export class TrialPruned extends Error {
  constructor() {
    super('trial pruned');
    this.name = 'TrialPruned';
  }
}

export interface OptimizeOptions {
  /** Trials to run in this call (pruned ones count; a grid that runs out stops sooner). */
  readonly nTrials: number;
  /** Stops before the next trial starts. */
  readonly signal?: AbortSignal;
}

export interface StudySummary {
  readonly run: TuningRun;
  readonly trials: readonly Trial[];
  readonly best: Trial | null;
}

interface AskedTrial extends StudyTrial {
  readonly intermediateValues: IntermediateValue[];
  readonly startedAt: number;
}

interface StudySettings {
  readonly space: SearchSpace;
  readonly sampler: Sampler;
  readonly direction: Direction;
  readonly seed: number;
  readonly pruner: MedianPruner | undefined;
  readonly now: () => number;
  readonly prior: readonly PriorTrial[];
}

/**
 * A study in progress: one run of its storage, with the ask/tell and optimize entry points. Made by
 * `createStudy`.
 */
export class Study {
  /** @internal use `createStudy` */
  constructor(
    readonly run: TuningRun,
    readonly storage: TuningStorage,
    private readonly settings: StudySettings,
  ) {}

  /** Starts the next trial with the sampler's proposal; null when the sampler has nothing left. */
  async ask(): Promise<StudyTrial | null> {
    const { space, direction, prior, seed, sampler, pruner, now } = this.settings;
    const trials = await this.storage.listTrials(this.run.id);
    const params = sampler.sample({ space, direction, trials, prior, number: trials.length, seed });
    if (params === null) return null;
    const stored = await this.storage.startTrial(this.run.id, params, now());
    const curves = pruner
      ? trials.filter((t) => t.state === 'complete').map((t) => t.intermediateValues)
      : [];
    const intermediateValues: IntermediateValue[] = [];
    const asked: AskedTrial = {
      number: stored.number,
      params: stored.params,
      intermediateValues,
      startedAt: stored.startedAt,
      report: (step, value) => {
        intermediateValues.push({ step, value });
      },
      shouldPrune: () => {
        const last = intermediateValues.at(-1);
        return !!pruner && !!last && pruner.shouldPrune(curves, last.step, last.value, direction);
      },
    };
    return asked;
  }

  /** Finishes a trial asked for: a value completes it, `TrialPruned` prunes it, another error fails it. */
  async tell(trial: StudyTrial, result: number | Error): Promise<Trial> {
    const asked = trial as Partial<AskedTrial>;
    const at = this.settings.now();
    const durationMs = at - (asked.startedAt ?? at);
    const intermediateValues = asked.intermediateValues ?? [];
    const finish = (outcome: TrialOutcome) =>
      this.storage.finishTrial(this.run.id, trial.number, outcome, at);
    if (result instanceof TrialPruned) {
      const value = intermediateValues.at(-1)?.value ?? Number.NaN;
      return finish({ state: 'pruned', value, metrics: null, intermediateValues, durationMs });
    }
    if (typeof result === 'number' && Number.isFinite(result)) {
      return finish({ state: 'complete', value: result, metrics: null, intermediateValues, durationMs });
    }
    const error =
      result instanceof Error ? result.message : `objective returned ${result}, not a finite number`;
    return finish({ state: 'failed', error, intermediateValues, durationMs });
  }

  /**
   * Asks, runs `objective` and tells, `nTrials` times. An objective that throws fails its trial and
   * the study, and the error is rethrown (as Optuna does); one that returns a non-finite number
   * fails its trial only.
   */
  async optimize(objective: Objective, options: OptimizeOptions): Promise<StudySummary> {
    requireWholeNumber('nTrials', options.nTrials, { min: 1 });
    for (let i = 0; i < options.nTrials && !options.signal?.aborted; i++) {
      const trial = await this.ask();
      if (!trial) break;
      let result: number | Error;
      try {
        result = await objective(trial);
      } catch (error) {
        result = error instanceof Error ? error : new Error(String(error));
      }
      const told = await this.tell(trial, result);
      if (told.state === 'failed' && result instanceof Error) {
        await this.storage.finishRun(this.run.id, 'failed', this.settings.now(), told.error);
        throw result;
      }
    }
    await this.storage.finishRun(this.run.id, 'complete', this.settings.now());
    return this.summary();
  }

  trials(): Promise<Trial[]> {
    return this.storage.listTrials(this.run.id);
  }

  /** The best complete trial so far, or null. */
  async bestTrial(): Promise<Trial | null> {
    return (await this.summary()).best;
  }

  async summary(): Promise<StudySummary> {
    const run = (await this.storage.getRun(this.run.id)) ?? this.run;
    const trials = await this.trials();
    return { run, trials, best: trials.find((t) => t.number === run.bestTrialNumber) ?? null };
  }
}

/**
 * Creates a study that optimises any objective function with any sampler and any storage (Optuna's
 * `create_study(...).optimize(objective)`). The study is one run of the storage, so in a database
 * it shows in `tune history`; studies of the same name and storage share complete trials as the
 * samplers' warm start.
 */
export async function createStudy(options: StudyOptions): Promise<Study> {
  const space = normalizeSpace(options.space);
  const sampler = options.sampler ?? new RandomSampler();
  const storage = options.storage ?? new MemoryTuningStorage();
  const direction = options.direction ?? 'minimize';
  const name = options.name ?? 'study';
  const seed = options.seed ?? 0;
  const now = options.now ?? Date.now;
  const run = await storage.createRun({
    method: sampler.name,
    model: name,
    objective: 'value',
    direction,
    dataFingerprint: '',
    trialsPlanned: 0,
    config: { seed, folds: 0, space, pruner: null },
    owner: `study:${process.pid}`,
    now: now(),
  });
  const prior = await storage.priorTrials({
    model: name,
    dataFingerprint: '',
    objective: 'value',
    excludeRunId: run.id,
  });
  return new Study(run, storage, { space, sampler, direction, seed, pruner: options.pruner, now, prior });
}
