import type { ModelParams } from '../models/rating-model.ts';
import type { IntermediateValue } from './median-pruner.ts';
import { isBetter, type TrialMetrics } from './objective.ts';
import type { PriorTrial, SampledTrial, Sampler } from './sampler.ts';
import { paramsKey, type SearchSpace } from './search-space.ts';
import type { TrialResult } from './trial-evaluation.ts';
import type { TrialPool } from './trial-pool.ts';
import {
  type MeasuredTrial,
  type ReusedTrial,
  type RunConfig,
  runFidelity,
  type Trial,
  type TuningRun,
  type TuningStorage,
} from './tuning-storage.ts';

/** Failed trials whose reason starts with this are retried: their process or thread died. */
export const INTERRUPTED = 'interrupted:';

/** What a progress display needs after each finished trial. */
export interface TuningProgress {
  readonly runId: string;
  readonly done: number;
  readonly planned: number;
  readonly running: number;
  readonly failed: number;
  readonly pruned: number;
  readonly bestValue: number | null;
  readonly bestTrial: number | null;
  readonly elapsedMs: number;
  /** Estimated time left, from the mean time per finished trial in this process; null at first. */
  readonly etaMs: number | null;
  readonly last: Trial | null;
}

/** Everything the trial loop works with, fixed when the run is opened. */
export interface SessionSetup {
  readonly storage: TuningStorage;
  readonly run: TuningRun;
  readonly owner: string;
  readonly sampler: Sampler;
  readonly space: SearchSpace;
  readonly pool: TrialPool;
  readonly workers: number;
  /** Complete trials of earlier runs (warm start for bayesian/tpe). */
  readonly prior: readonly PriorTrial[];
  /** Earlier measurements on the same data and folds, copied instead of measured again. */
  readonly measured: readonly MeasuredTrial[];
  /** The model's default configuration in the space's terms, or null when outside it. */
  readonly defaults: ModelParams | null;
  /** Put the default configuration first (a fresh random/bayesian/tpe run that wants it). */
  readonly enqueueDefault: boolean;
  /**
   * The default configuration when no trial of the run will have it: its metrics copied from an
   * earlier measurement on the same data and folds (`earlier`), else measured beside the trials.
   */
  readonly sideDefault: { readonly params: ModelParams; readonly earlier: TrialMetrics | null } | null;
  /** Record the default configuration's metrics as the run's baseline when it completes. */
  readonly wantBaseline: boolean;
  readonly heartbeatMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TuningProgress) => void;
}

export type StopReason = 'complete' | 'interrupted' | 'failed';

const now = () => Date.now();

/**
 * The trial loop of one run: asks the sampler for configurations, copies ones already measured on
 * the same data and folds, runs the others in the pool, and stores every trial as it starts and
 * ends. Writes are serialised (heartbeats and results never interleave on one connection).
 */
export class TuningSession {
  run: TuningRun;
  readonly trials: Trial[];
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly t0 = performance.now();
  private readonly measuredByKey: Map<string, Trial>;
  private readonly defaultsKey: string | null;
  private finishedHere = 0;
  private lostOwnership = false;
  private writes: Promise<unknown> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Resolves when the run is stopped; made once (a listener per wait would pile up). */
  private readonly aborted: Promise<void>;

  constructor(
    private readonly s: SessionSetup,
    trials: readonly Trial[],
  ) {
    this.run = s.run;
    this.trials = [...trials];
    this.aborted = abortPromise(s.signal);
    this.defaultsKey = s.defaults ? paramsKey(s.defaults) : null;
    this.measuredByKey = new Map();
    for (const m of s.measured) {
      const key = paramsKey(m.trial.params);
      if (!this.measuredByKey.has(key)) this.measuredByKey.set(key, m.trial);
    }
  }

  /** Serialises a storage write behind the ones before it. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  get ownershipLost(): boolean {
    return this.lostOwnership;
  }

  doneCount(): number {
    return this.trials.filter((t) => t.state === 'complete' || t.state === 'pruned').length;
  }

  /** Runs trials until the plan is met, the run is stopped, or too many fail. */
  async execute(): Promise<{ reason: StopReason; failure: string | null }> {
    this.startHeartbeat();
    const side = this.sideDefault();
    // Awaited only when the run completes; a stopped run abandons it without an unhandled rejection.
    side.catch(() => undefined);
    try {
      const stop = await this.loop();
      if (stop.reason === 'complete') await side;
      return stop;
    } finally {
      await this.close();
    }
  }

  /** The run's baseline when no trial measures the default configuration (see SessionSetup). */
  private sideDefault(): Promise<void> {
    const side = this.s.sideDefault;
    if (!side) return Promise.resolve();
    if (side.earlier) return this.recordBaseline(side.params, side.earlier);
    return this.s.pool.run({ number: -1, params: side.params, prune: null }).then(async (r) => {
      if (r.state === 'complete') await this.recordBaseline(side.params, r.metrics);
    });
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      void this.write(() => this.s.storage.heartbeat(this.run.id, this.s.owner, now())).then((ok) => {
        if (!ok) this.lostOwnership = true;
      });
    }, this.s.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Stops the heartbeat and the pool; trials still in flight are abandoned. */
  private async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.s.pool.close();
    await Promise.race([Promise.allSettled(this.inflight.values()), new Promise((r) => setTimeout(r, 50))]);
    await this.writes;
  }

  private async loop(): Promise<{ reason: StopReason; failure: string | null }> {
    const maxFailures = Math.max(3, this.run.trialsPlanned);
    while (true) {
      if (this.s.signal?.aborted || this.lostOwnership) return { reason: 'interrupted', failure: null };
      const busy = this.doneCount() + this.inflight.size >= this.run.trialsPlanned;
      if (busy || this.inflight.size >= Math.max(1, this.s.workers)) {
        if (this.inflight.size === 0) return { reason: 'complete', failure: null };
        await Promise.race([...this.inflight.values(), this.aborted]);
        continue;
      }
      const failedOwn = this.trials.filter(
        (t) => t.state === 'failed' && !(t.error ?? '').startsWith(INTERRUPTED),
      );
      if (failedOwn.length >= maxFailures) {
        const last = failedOwn[failedOwn.length - 1]?.error ?? '';
        return { reason: 'failed', failure: `${failedOwn.length} trials failed; last: ${last}` };
      }
      const next = this.nextParams();
      if (!next) {
        // A finished grid: nothing left to propose.
        if (this.inflight.size === 0) return { reason: 'complete', failure: null };
        await Promise.race(this.inflight.values());
        continue;
      }
      await this.begin(next.params, next.retryOf);
    }
  }

  /** A trial whose process died (retried once), else the default configuration first, else the sampler's. */
  private nextParams(): { params: ModelParams; retryOf: number | null } | null {
    const taken = new Set(this.trials.filter((t) => t.state !== 'failed').map((t) => paramsKey(t.params)));
    const retried = new Set(this.trials.map((t) => t.retryOf).filter((n): n is number => n !== null));
    const retry = this.trials.find(
      (t) =>
        t.state === 'failed' &&
        (t.error ?? '').startsWith(INTERRUPTED) &&
        !retried.has(t.number) &&
        !taken.has(paramsKey(t.params)),
    );
    if (retry) return { params: retry.params, retryOf: retry.number };
    if (this.s.enqueueDefault && this.trials.length === 0 && this.s.defaults)
      return { params: this.s.defaults, retryOf: null };
    const last = this.trials[this.trials.length - 1];
    const params = this.s.sampler.sample({
      space: this.s.space,
      direction: this.run.direction,
      trials: this.trials.map(toSampled),
      prior: this.s.prior,
      number: last === undefined ? 0 : last.number + 1,
      seed: this.run.config.seed,
    });
    return params ? { params, retryOf: null } : null;
  }

  /** Starts a trial: copied from an earlier measurement when there is one, else run in the pool. */
  private async begin(params: ModelParams, retryOf: number | null): Promise<void> {
    const fidelity = runFidelity(this.run.config);
    const trial = await this.write(() =>
      this.s.storage.startTrial(this.run.id, params, now(), retryOf, fidelity),
    );
    this.trials.push(trial);
    const earlier = this.measuredByKey.get(paramsKey(params));
    if (earlier?.value != null && earlier.metrics) {
      await this.reuse(trial, earlier, earlier.value, earlier.metrics);
      return;
    }
    const isDefault = paramsKey(params) === this.defaultsKey;
    const pruner = this.run.config.pruner;
    const task = {
      number: trial.number,
      params,
      // The default configuration is always measured in full: it is the run's baseline.
      prune: pruner && !isDefault ? { ...pruner, completed: this.completedCurves() } : null,
    };
    const job = this.s.pool
      .run(task)
      .then((r) => this.tell(r))
      .finally(() => this.inflight.delete(trial.number));
    this.inflight.set(trial.number, job);
  }

  /** Finishes `trial` with an earlier run's measurement of the same configuration, and records where it came from. */
  private async reuse(trial: Trial, earlier: Trial, value: number, metrics: TrialMetrics): Promise<void> {
    const reused: ReusedTrial = { number: trial.number, fromRun: earlier.runId, fromNumber: earlier.number };
    await this.updateConfig({ reused: [...(this.run.config.reused ?? []), reused] });
    await this.tell({
      number: trial.number,
      state: 'complete',
      value,
      metrics,
      intermediateValues: earlier.intermediateValues,
      durationMs: 0,
    });
  }

  private completedCurves(): IntermediateValue[][] {
    return this.trials.filter((t) => t.state === 'complete').map((t) => [...t.intermediateValues]);
  }

  /** Stores a trial's result; the default configuration's metrics become the run's baseline. */
  private async tell(result: TrialResult): Promise<void> {
    const outcome =
      result.state === 'failed'
        ? {
            state: 'failed' as const,
            error: result.error,
            intermediateValues: result.intermediateValues,
            durationMs: result.durationMs,
          }
        : result;
    const finished = await this.write(() =>
      this.s.storage.finishTrial(this.run.id, result.number, outcome, now()),
    );
    if (result.state === 'complete' && paramsKey(finished.params) === this.defaultsKey)
      await this.recordBaseline(finished.params, result.metrics);
    const i = this.trials.findIndex((t) => t.number === finished.number);
    this.trials[i] = finished;
    this.finishedHere++;
    this.progress(finished);
  }

  /** The default configuration's metrics, kept with the run (once) for every "better than the default". */
  async recordBaseline(params: ModelParams, metrics: TrialMetrics | null): Promise<void> {
    if (!this.s.wantBaseline || !metrics || this.run.config.baseline) return;
    await this.updateConfig({ baseline: { params, metrics } });
  }

  private async updateConfig(change: Partial<RunConfig>): Promise<void> {
    const updated: RunConfig = { ...this.run.config, ...change };
    this.run = { ...this.run, config: updated };
    await this.write(() => this.s.storage.updateRunConfig(this.run.id, updated));
  }

  private progress(last: Trial | null): void {
    if (!this.s.onProgress) return;
    const done = this.doneCount();
    const elapsedMs = performance.now() - this.t0;
    const best = bestOf(this.trials, this.run);
    const count = (state: Trial['state']) => this.trials.filter((t) => t.state === state).length;
    this.s.onProgress({
      runId: this.run.id,
      done,
      planned: this.run.trialsPlanned,
      running: count('running'),
      failed: count('failed'),
      pruned: count('pruned'),
      bestValue: best?.value ?? null,
      bestTrial: best?.number ?? null,
      elapsedMs,
      etaMs:
        this.finishedHere > 0
          ? (elapsedMs / this.finishedHere) * Math.max(0, this.run.trialsPlanned - done)
          : null,
      last,
    });
  }
}

/** The best complete trial (ties broken by the lower RMSE). */
function bestOf(trials: readonly Trial[], run: TuningRun): Trial | null {
  let best: Trial | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null) continue;
    const current = best?.value == null ? null : { value: best.value, rmse: best.metrics?.rmse ?? null };
    if (isBetter({ value: t.value, rmse: t.metrics?.rmse ?? null }, current, run.direction)) best = t;
  }
  return best;
}

function toSampled(t: Trial): SampledTrial {
  return { number: t.number, params: t.params, state: t.state, value: t.value, durationMs: t.durationMs };
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
