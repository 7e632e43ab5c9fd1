import type { Database, Queryable, SqlValue } from '../db/database.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { isBetter, type TrialMetrics } from './objective.ts';
import type { Direction, PriorTrial, TrialState } from './sampler.ts';
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
import { checkFidelity, fullFidelity, runIdFor } from './tuning-storage.ts';

interface RunRow {
  id: string;
  method: string;
  model: string;
  objective: string;
  direction: string;
  data_fingerprint: string;
  status: string;
  trials_planned: number;
  trials_done: number;
  best_value: number | null;
  best_trial_number: number | null;
  best_params: string | null;
  config: string;
  owner: string | null;
  heartbeat_at: number | null;
  started_at: number;
  ended_at: number | null;
  error: string | null;
}

interface TrialRow {
  run_id: string;
  number: number;
  params: string;
  state: string;
  value: number | null;
  metrics: string | null;
  intermediate_values: string;
  duration_ms: number | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  retry_of: number | null;
  fidelity: number;
  epoch_share: number;
}

function toRun(r: RunRow): TuningRun {
  return Object.freeze({
    id: r.id,
    method: r.method,
    model: r.model,
    objective: r.objective,
    direction: r.direction as Direction,
    dataFingerprint: r.data_fingerprint,
    status: r.status as RunStatus,
    trialsPlanned: r.trials_planned,
    trialsDone: r.trials_done,
    bestValue: r.best_value,
    bestTrialNumber: r.best_trial_number,
    bestParams: r.best_params ? (JSON.parse(r.best_params) as ModelParams) : null,
    config: JSON.parse(r.config) as RunConfig,
    owner: r.owner,
    heartbeatAt: r.heartbeat_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    error: r.error,
  });
}

function toTrial(r: TrialRow): Trial {
  return Object.freeze({
    runId: r.run_id,
    number: r.number,
    params: JSON.parse(r.params) as ModelParams,
    state: r.state as TrialState,
    value: r.value,
    metrics: r.metrics ? (JSON.parse(r.metrics) as TrialMetrics) : null,
    intermediateValues: JSON.parse(r.intermediate_values) as Trial['intermediateValues'],
    durationMs: r.duration_ms,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    heartbeatAt: r.heartbeat_at,
    retryOf: r.retry_of,
    fidelity: r.fidelity,
    epochShare: r.epoch_share,
  });
}

/**
 * The storage on the project's Database (SQLite or PostgreSQL, same SQL). Multi-statement changes
 * run in one transaction, so a process killed at any moment leaves either the old or the new state.
 */
export class SqlTuningStorage implements TuningStorage {
  constructor(private readonly db: Database) {}

  async createRun(run: NewRun): Promise<TuningRun> {
    // Two runs started in the same millisecond get the next free millisecond's id.
    for (let offset = 0; offset < 1000; offset++) {
      const id = runIdFor(run.method, run.now + offset);
      const inserted = await this.db.run(
        `INSERT INTO hp_tuning_history (id, method, model, objective, direction, data_fingerprint, status,
           trials_planned, trials_done, config, owner, heartbeat_at, started_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?, 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          id,
          run.method,
          run.model,
          run.objective,
          run.direction,
          run.dataFingerprint,
          run.trialsPlanned,
          JSON.stringify(run.config),
          run.owner,
          run.now,
          run.now,
        ],
      );
      if (inserted.changes === 1) return (await this.getRun(id))!;
    }
    throw new ConflictError(`could not find a free run id for ${run.method} at ${run.now}`);
  }

  async getRun(id: string): Promise<TuningRun | undefined> {
    const row = await this.db.get<RunRow>('SELECT * FROM hp_tuning_history WHERE id = ?', [id]);
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: { model?: string; limit?: number } = {}): Promise<TuningRun[]> {
    const where = filter.model ? 'WHERE model = ?' : '';
    const params: SqlValue[] = filter.model ? [filter.model] : [];
    const rows = await this.db.all<RunRow>(
      `SELECT * FROM hp_tuning_history ${where} ORDER BY started_at DESC, id DESC LIMIT ?`,
      [...params, filter.limit ?? 1000],
    );
    return rows.map(toRun);
  }

  async claimRun(
    id: string,
    owner: string,
    now: number,
    staleBefore: number,
    force = false,
  ): Promise<boolean> {
    const result = await this.db.run(
      `UPDATE hp_tuning_history SET owner = ?, heartbeat_at = ?, status = 'running', ended_at = NULL
       WHERE id = ? AND (? = 1 OR status <> 'running' OR owner IS NULL OR owner = ? OR heartbeat_at IS NULL OR heartbeat_at < ?)`,
      [owner, now, id, force ? 1 : 0, owner, staleBefore],
    );
    if (result.changes === 0 && !(await this.getRun(id))) throw new NotFoundError(`no tuning run ${id}`);
    return result.changes === 1;
  }

  async failRunningTrials(runId: string, reason: string, now: number): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ number: number }>(
        "SELECT number FROM hp_experiments WHERE run_id = ? AND state = 'running' ORDER BY number",
        [runId],
      );
      await tx.run(
        "UPDATE hp_experiments SET state = 'failed', error = ?, finished_at = ? WHERE run_id = ? AND state = 'running'",
        [reason, now, runId],
      );
      return rows.map((r) => r.number);
    });
  }

  async startTrial(
    runId: string,
    params: ModelParams,
    now: number,
    retryOf: number | null = null,
    fidelity: TrialFidelity = fullFidelity,
  ): Promise<Trial> {
    checkFidelity(fidelity);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ n: number | null }>(
        'SELECT MAX(number) AS n FROM hp_experiments WHERE run_id = ?',
        [runId],
      );
      const number = row?.n === null || row?.n === undefined ? 0 : row.n + 1;
      await tx.run(
        `INSERT INTO hp_experiments (run_id, number, params, state, intermediate_values, started_at, heartbeat_at, retry_of, fidelity, epoch_share)
         VALUES (?, ?, ?, 'running', '[]', ?, ?, ?, ?, ?)`,
        [runId, number, JSON.stringify(params), now, now, retryOf, fidelity.share, fidelity.epochShare],
      );
      return toTrial(
        (await tx.get<TrialRow>('SELECT * FROM hp_experiments WHERE run_id = ? AND number = ?', [
          runId,
          number,
        ]))!,
      );
    });
  }

  async finishTrial(runId: string, number: number, outcome: TrialOutcome, now: number): Promise<Trial> {
    return this.db.transaction(async (tx) => {
      const value = outcome.state === 'failed' ? null : outcome.value;
      const metrics = outcome.state === 'failed' ? null : outcome.metrics;
      const result = await tx.run(
        `UPDATE hp_experiments SET state = ?, value = ?, metrics = ?, intermediate_values = ?, duration_ms = ?,
           error = ?, finished_at = ?, heartbeat_at = ?
         WHERE run_id = ? AND number = ? AND state = 'running'`,
        [
          outcome.state,
          value !== null && Number.isFinite(value) ? value : null,
          metrics ? JSON.stringify(metrics) : null,
          JSON.stringify(outcome.intermediateValues ?? []),
          outcome.durationMs ?? null,
          outcome.state === 'failed' ? outcome.error : null,
          now,
          now,
          runId,
          number,
        ],
      );
      if (result.changes === 0) {
        const existing = await tx.get<TrialRow>(
          'SELECT state FROM hp_experiments WHERE run_id = ? AND number = ?',
          [runId, number],
        );
        if (!existing) throw new NotFoundError(`no trial ${number} in tuning run ${runId}`);
        throw new ConflictError(
          `trial ${number} of ${runId} is already ${existing.state}; a finished trial never changes`,
        );
      }
      await this.refreshRunSummary(tx, runId);
      return toTrial(
        (await tx.get<TrialRow>('SELECT * FROM hp_experiments WHERE run_id = ? AND number = ?', [
          runId,
          number,
        ]))!,
      );
    });
  }

  /** Recomputes trials_done and the best from the trials (cheap: one run's trials). */
  private async refreshRunSummary(tx: Queryable, runId: string): Promise<void> {
    const run = await tx.get<RunRow>('SELECT * FROM hp_tuning_history WHERE id = ?', [runId]);
    if (!run) throw new NotFoundError(`no tuning run ${runId}`);
    const rows = await tx.all<TrialRow>(
      "SELECT * FROM hp_experiments WHERE run_id = ? AND state IN ('complete', 'pruned') ORDER BY number",
      [runId],
    );
    let best: Trial | null = null;
    for (const t of rows.map(toTrial)) {
      if (t.state !== 'complete' || t.value === null) continue;
      const candidate = { value: t.value, rmse: t.metrics?.rmse ?? null };
      const current = best ? { value: best.value!, rmse: best.metrics?.rmse ?? null } : null;
      if (isBetter(candidate, current, run.direction as Direction)) best = t;
    }
    const b = best as Trial | null;
    await tx.run(
      'UPDATE hp_tuning_history SET trials_done = ?, best_value = ?, best_trial_number = ?, best_params = ? WHERE id = ?',
      [rows.length, b?.value ?? null, b?.number ?? null, b ? JSON.stringify(b.params) : null, runId],
    );
  }

  async heartbeat(runId: string, owner: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(
        'UPDATE hp_tuning_history SET heartbeat_at = ? WHERE id = ? AND owner = ?',
        [now, runId, owner],
      );
      if (result.changes === 0) return false;
      await tx.run("UPDATE hp_experiments SET heartbeat_at = ? WHERE run_id = ? AND state = 'running'", [
        now,
        runId,
      ]);
      return true;
    });
  }

  async updateRunConfig(runId: string, config: RunConfig): Promise<void> {
    await this.db.run('UPDATE hp_tuning_history SET config = ? WHERE id = ?', [
      JSON.stringify(config),
      runId,
    ]);
  }

  async finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    now: number,
    error: string | null = null,
  ): Promise<void> {
    await this.db.run(
      'UPDATE hp_tuning_history SET status = ?, ended_at = ?, error = ?, heartbeat_at = ? WHERE id = ?',
      [status, now, error, now, runId],
    );
  }

  async listTrials(runId: string): Promise<Trial[]> {
    const rows = await this.db.all<TrialRow>(
      'SELECT * FROM hp_experiments WHERE run_id = ? ORDER BY number',
      [runId],
    );
    return rows.map(toTrial);
  }

  async measuredTrials(filter: MeasuredFilter): Promise<MeasuredTrial[]> {
    const rows = await this.db.all<TrialRow & { run_config: string }>(
      `SELECT e.*, h.config AS run_config FROM hp_experiments e JOIN hp_tuning_history h ON h.id = e.run_id
       WHERE h.model = ? AND h.data_fingerprint = ? AND h.objective = ? AND h.id <> ?
         AND e.state = 'complete' AND e.value IS NOT NULL AND e.metrics IS NOT NULL
         AND ABS(e.epoch_share - ?) < 1e-9
       ORDER BY h.started_at, e.run_id, e.number`,
      [filter.model, filter.dataFingerprint, filter.objective, filter.excludeRunId, filter.epochShare ?? 1],
    );
    const out: MeasuredTrial[] = [];
    for (const r of rows) {
      const folds = (JSON.parse(r.run_config) as RunConfig).folds;
      if (folds === filter.folds) out.push({ trial: toTrial(r), folds });
    }
    return out;
  }

  async priorTrials(filter: {
    model: string;
    dataFingerprint: string;
    objective: string;
    excludeRunId?: string;
    epochShare?: number;
  }): Promise<PriorTrial[]> {
    const rows = await this.db.all<{ params: string; value: number }>(
      `SELECT e.params, e.value FROM hp_experiments e JOIN hp_tuning_history h ON h.id = e.run_id
       WHERE h.model = ? AND h.data_fingerprint = ? AND h.objective = ? AND h.id <> ?
         AND e.state = 'complete' AND e.value IS NOT NULL AND ABS(e.epoch_share - ?) < 1e-9
       ORDER BY h.started_at, e.run_id, e.number`,
      [
        filter.model,
        filter.dataFingerprint,
        filter.objective,
        filter.excludeRunId ?? '',
        filter.epochShare ?? 1,
      ],
    );
    return rows.map((r) => ({ params: JSON.parse(r.params) as ModelParams, value: r.value }));
  }
}
