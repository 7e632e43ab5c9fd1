import { ConflictError, NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { isBetter } from './objective.ts';
import type { PriorTrial } from './sampler.ts';
import type {
  MeasuredFilter,
  MeasuredTrial,
  NewRun,
  RunConfig,
  RunStatus,
  Trial,
  TrialFidelity,
  TrialOutcome,
  TuningRun,
  TuningStorage,
} from './tuning-storage.ts';
import { checkFidelity, fullFidelity, runIdFor, sameShare } from './tuning-storage.ts';

interface StoredRun {
  run: TuningRun;
  trials: Trial[];
}

/**
 * The tuning storage held in this process's memory (Optuna's in-memory storage): the same contract
 * as the SQL storage, for studies that need no database. Records are frozen copies, so a caller
 * cannot change a finished trial behind the storage's back.
 */
export class MemoryTuningStorage implements TuningStorage {
  private readonly runs = new Map<string, StoredRun>();

  async createRun(run: NewRun): Promise<TuningRun> {
    let offset = 0;
    while (this.runs.has(runIdFor(run.method, run.now + offset))) offset++;
    const created: TuningRun = Object.freeze({
      id: runIdFor(run.method, run.now + offset),
      method: run.method,
      model: run.model,
      objective: run.objective,
      direction: run.direction,
      dataFingerprint: run.dataFingerprint,
      status: 'running',
      trialsPlanned: run.trialsPlanned,
      trialsDone: 0,
      bestValue: null,
      bestTrialNumber: null,
      bestParams: null,
      config: structuredClone(run.config),
      owner: run.owner,
      heartbeatAt: run.now,
      startedAt: run.now,
      endedAt: null,
      error: null,
    });
    this.runs.set(created.id, { run: created, trials: [] });
    return created;
  }

  async getRun(id: string): Promise<TuningRun | undefined> {
    return this.runs.get(id)?.run;
  }

  async listRuns(filter: { model?: string; limit?: number } = {}): Promise<TuningRun[]> {
    return [...this.runs.values()]
      .map((s) => s.run)
      .filter((r) => !filter.model || r.model === filter.model)
      .sort((a, b) => b.startedAt - a.startedAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
      .slice(0, filter.limit ?? 1000);
  }

  async claimRun(
    id: string,
    owner: string,
    now: number,
    staleBefore: number,
    force = false,
  ): Promise<boolean> {
    const stored = this.stored(id);
    const r = stored.run;
    const free =
      force ||
      r.status !== 'running' ||
      r.owner === null ||
      r.owner === owner ||
      r.heartbeatAt === null ||
      r.heartbeatAt < staleBefore;
    if (free) this.setRun(stored, { owner, heartbeatAt: now, status: 'running', endedAt: null });
    return free;
  }

  async failRunningTrials(runId: string, reason: string, now: number): Promise<number[]> {
    const stored = this.stored(runId);
    const failed: number[] = [];
    stored.trials = stored.trials.map((t) => {
      if (t.state !== 'running') return t;
      failed.push(t.number);
      return Object.freeze({ ...t, state: 'failed' as const, error: reason, finishedAt: now });
    });
    return failed;
  }

  async startTrial(
    runId: string,
    params: ModelParams,
    now: number,
    retryOf: number | null = null,
    fidelity: TrialFidelity = fullFidelity,
  ): Promise<Trial> {
    checkFidelity(fidelity);
    const stored = this.stored(runId);
    const trial: Trial = Object.freeze({
      runId,
      number: stored.trials.length,
      params: Object.freeze({ ...params }),
      state: 'running',
      value: null,
      metrics: null,
      intermediateValues: [],
      durationMs: null,
      error: null,
      startedAt: now,
      finishedAt: null,
      heartbeatAt: now,
      retryOf,
      fidelity: fidelity.share,
      epochShare: fidelity.epochShare,
    });
    stored.trials.push(trial);
    return trial;
  }

  async finishTrial(runId: string, number: number, outcome: TrialOutcome, now: number): Promise<Trial> {
    const stored = this.stored(runId);
    const current = stored.trials[number];
    if (!current) throw new NotFoundError(`no trial ${number} in tuning run ${runId}`);
    if (current.state !== 'running') {
      throw new ConflictError(
        `trial ${number} of ${runId} is already ${current.state}; a finished trial never changes`,
      );
    }
    const failed = outcome.state === 'failed';
    const value = failed ? null : outcome.value;
    const finished: Trial = Object.freeze({
      ...current,
      state: outcome.state,
      value: value !== null && Number.isFinite(value) ? value : null,
      metrics: failed ? null : structuredClone(outcome.metrics),
      intermediateValues: structuredClone(outcome.intermediateValues ?? []),
      durationMs: outcome.durationMs ?? null,
      error: failed ? outcome.error : null,
      finishedAt: now,
      heartbeatAt: now,
    });
    stored.trials[number] = finished;
    this.refreshSummary(stored);
    return finished;
  }

  /** Recomputes trialsDone and the best from the trials, as the SQL storage does. */
  private refreshSummary(stored: StoredRun): void {
    const done = stored.trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
    let best: Trial | null = null;
    for (const t of done) {
      if (t.state !== 'complete' || t.value === null) continue;
      const current = best?.value != null ? { value: best.value, rmse: best.metrics?.rmse ?? null } : null;
      if (isBetter({ value: t.value, rmse: t.metrics?.rmse ?? null }, current, stored.run.direction))
        best = t;
    }
    this.setRun(stored, {
      trialsDone: done.length,
      bestValue: best?.value ?? null,
      bestTrialNumber: best?.number ?? null,
      bestParams: best?.params ?? null,
    });
  }

  async heartbeat(runId: string, owner: string, now: number): Promise<boolean> {
    const stored = this.stored(runId);
    if (stored.run.owner !== owner) return false;
    this.setRun(stored, { heartbeatAt: now });
    stored.trials = stored.trials.map((t) =>
      t.state === 'running' ? Object.freeze({ ...t, heartbeatAt: now }) : t,
    );
    return true;
  }

  async updateRunConfig(runId: string, config: RunConfig): Promise<void> {
    const stored = this.runs.get(runId);
    if (stored) this.setRun(stored, { config: structuredClone(config) });
  }

  async finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    now: number,
    error: string | null = null,
  ): Promise<void> {
    const stored = this.runs.get(runId);
    if (stored) this.setRun(stored, { status, endedAt: now, error, heartbeatAt: now });
  }

  async listTrials(runId: string): Promise<Trial[]> {
    return [...(this.runs.get(runId)?.trials ?? [])];
  }

  async measuredTrials(filter: MeasuredFilter): Promise<MeasuredTrial[]> {
    return this.completeTrialsOf(filter)
      .filter(({ run, trial }) => run.config.folds === filter.folds && trial.metrics !== null)
      .map(({ run, trial }) => ({ trial, folds: run.config.folds }));
  }

  async priorTrials(filter: {
    model: string;
    dataFingerprint: string;
    objective: string;
    excludeRunId?: string;
    epochShare?: number;
  }): Promise<PriorTrial[]> {
    return this.completeTrialsOf(filter).map(({ trial }) => ({ params: trial.params, value: trial.value! }));
  }

  /**
   * Complete trials of other runs of the same model, data and objective, fitted at the filter's
   * share of their epochs (default 1), oldest run first.
   */
  private completeTrialsOf(filter: {
    model: string;
    dataFingerprint: string;
    objective: string;
    excludeRunId?: string;
    epochShare?: number;
  }): Array<{ run: TuningRun; trial: Trial }> {
    const runs = [...this.runs.values()]
      .filter(
        ({ run }) =>
          run.model === filter.model &&
          run.dataFingerprint === filter.dataFingerprint &&
          run.objective === filter.objective &&
          run.id !== filter.excludeRunId,
      )
      .sort((a, b) => a.run.startedAt - b.run.startedAt || (a.run.id < b.run.id ? -1 : 1));
    return runs.flatMap(({ run, trials }) =>
      trials
        .filter(
          (t) =>
            t.state === 'complete' && t.value !== null && sameShare(t.epochShare, filter.epochShare ?? 1),
        )
        .map((trial) => ({ run, trial })),
    );
  }

  private stored(id: string): StoredRun {
    const stored = this.runs.get(id);
    if (!stored) throw new NotFoundError(`no tuning run ${id}`);
    return stored;
  }

  private setRun(stored: StoredRun, change: Partial<TuningRun>): void {
    stored.run = Object.freeze({ ...stored.run, ...change });
  }
}
