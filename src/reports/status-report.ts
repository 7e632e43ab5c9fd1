import { existsSync } from 'node:fs';
import { type Config, loadConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';
import { InvalidInputError } from '../errors.ts';
import { type AbEvaluation, evaluateAbTest, getRunningAbTest, listAbTests } from '../experiments/ab-tests.ts';
import type { ModelParams } from '../models/rating-model.ts';
import {
  type AccuracyFigure,
  dailyAccuracy,
  windowAccuracy,
  windowCounts,
  windowStart,
} from '../monitoring/live-accuracy.ts';
import { type AliasHistoryEntry, aliasHistory, readAliases } from '../registry/aliases.ts';
import { getVersion } from '../registry/model-versions.ts';
import { retrainLockState } from '../retraining/retrain-lock.ts';
import { listTriggers, type RetrainTrigger } from '../retraining/retrain-triggers.ts';
import { type BestHp, readBestHp } from '../tuning/best-hp.ts';
import { SqlTuningStorage } from '../tuning/sql-tuning-storage.ts';
import { countedTables } from './report-store.ts';
import { reportStore } from './sql-report-store.ts';

export interface StatusOptions {
  readonly now?: number;
  readonly config?: Config;
  /** Where best_hp.json is (the CLI passes the one beside the database); none → not shown. */
  readonly bestHpPath?: string;
}

/** A champion or challenger: what it is, how it scored offline, how old it is, how it does live. */
export interface VersionStatus {
  readonly version: number;
  readonly kind: string;
  readonly params: ModelParams;
  readonly reason: string;
  readonly status: string;
  readonly createdAt: number;
  readonly ageMs: number;
  readonly trainRows: number;
  readonly offlineMetrics: Readonly<Record<string, number>>;
  /** Tracker accuracy of ratings of its recommendations in the window. */
  readonly live: AccuracyFigure;
}

export interface StatusReport {
  readonly report: 'status';
  readonly generatedAt: number;
  readonly champion: VersionStatus | null;
  readonly challenger: VersionStatus | null;
  /** Newest last; at most 10. */
  readonly aliasHistory: readonly AliasHistoryEntry[];
  /** The running A/B test and its verdict so far, or null. */
  readonly abTest: {
    readonly id: number;
    readonly championVersion: number;
    readonly challengerVersion: number;
    readonly traffic: number;
    readonly startedAt: number;
    readonly elapsedDays: number;
    readonly champion: { readonly n: number; readonly accuracy: number | null };
    readonly challenger: { readonly n: number; readonly accuracy: number | null };
    readonly relativeAccuracyImprovement: number | null;
    readonly sequentialPValue: number | null;
    readonly verdict: string;
    readonly reason: string;
  } | null;
  readonly lastAbTest: {
    readonly id: number;
    readonly decision: string | null;
    readonly reason: string | null;
    readonly endedAt: number | null;
  } | null;
  readonly tracker: {
    readonly windowDays: number;
    readonly threshold: number;
    /** Samples the retrain check needs before it judges accuracy against the threshold. */
    readonly minSamples: number;
    readonly counts: { readonly tracked: number; readonly recommended: number; readonly unexpected: number };
    readonly accuracy: AccuracyFigure;
    /** Null without samples. */
    readonly belowThreshold: boolean | null;
    readonly byDay: ReadonlyArray<{
      readonly day: string;
      readonly accuracy: number | null;
      readonly samples: number;
      readonly low: number;
      readonly high: number;
    }>;
  };
  readonly tuning: {
    readonly lastRun: {
      readonly id: string;
      readonly method: string;
      readonly model: string;
      readonly objective: string;
      readonly status: string;
      readonly trialsDone: number;
      readonly trialsPlanned: number;
      readonly bestValue: number | null;
      readonly startedAt: number;
      readonly endedAt: number | null;
    } | null;
    readonly bestHpPath: string | null;
    readonly bestHp: BestHp | null;
    /** Why best_hp.json could not be read (it exists but is bad). */
    readonly bestHpError: string | null;
  };
  readonly retrain: {
    readonly lock: {
      readonly holder: string | null;
      readonly triggerId: number | null;
      readonly heartbeatAt: number | null;
    };
    /** Newest first; at most 5. */
    readonly triggers: readonly RetrainTrigger[];
  };
  readonly database: {
    readonly dialect: string;
    readonly location: string;
    readonly sizeBytes: number | null;
    readonly schemaVersion: number;
    readonly latestMigration: number;
    /** SQLite `quick_check` result ("ok" when healthy); PostgreSQL: "ok" when it answered. */
    readonly integrity: string;
    readonly rows: Readonly<Record<string, number>>;
  };
}

async function versionStatus(
  db: Database,
  version: number | undefined,
  now: number,
  from: number,
): Promise<VersionStatus | null> {
  if (version === undefined) return null;
  const v = await getVersion(db, version);
  return {
    version: v.version,
    kind: v.kind,
    params: v.params,
    reason: v.reason,
    status: v.status,
    createdAt: v.createdAt,
    ageMs: now - v.createdAt,
    trainRows: v.training.rows,
    offlineMetrics: v.metrics,
    live: await windowAccuracy(db, from, now, v.version),
  };
}

function summarizeAb(e: AbEvaluation): NonNullable<StatusReport['abTest']> {
  const a = e.analysis;
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    id: e.test.id,
    championVersion: e.test.championVersion,
    challengerVersion: e.test.challengerVersion,
    traffic: e.test.traffic,
    startedAt: e.test.startedAt,
    elapsedDays: a.elapsedDays,
    champion: { n: a.arms.champion.n, accuracy: finite(a.arms.champion.accuracy.value) },
    challenger: { n: a.arms.challenger.n, accuracy: finite(a.arms.challenger.accuracy.value) },
    relativeAccuracyImprovement: finite(a.relativeAccuracyImprovement),
    sequentialPValue: finite(a.sequential.pValue),
    verdict: a.verdict.action,
    reason: a.verdict.reason,
  };
}

async function databaseHealth(db: Database): Promise<StatusReport['database']> {
  const store = reportStore(db);
  const facts = await db.storageFacts();
  return {
    dialect: db.dialect,
    location: db.location,
    sizeBytes: facts.sizeBytes,
    schemaVersion: await store.schemaVersion(),
    latestMigration: Math.max(...migrations.map((m) => m.version)),
    integrity: facts.integrity,
    rows: await store.rowCounts(countedTables),
  };
}

/** Live accuracy over the window, against the threshold, and per day. */
async function trackerSection(
  db: Database,
  config: Config,
  from: number,
  now: number,
): Promise<StatusReport['tracker']> {
  const accuracy = await windowAccuracy(db, from, now);
  return {
    windowDays: config.trainingWindowDays,
    threshold: config.accuracyThreshold,
    minSamples: config.minSamplesForRetrain,
    counts: await windowCounts(db, from, now),
    accuracy,
    belowThreshold: accuracy.accuracy === null ? null : accuracy.accuracy < config.accuracyThreshold,
    byDay: (await dailyAccuracy(db, from, now)).map((d) => ({
      day: d.day,
      accuracy: d.accuracy,
      samples: d.samples,
      low: d.low,
      high: d.high,
    })),
  };
}

/** The last tuning run and best_hp.json (or why it could not be read). */
async function tuningSection(db: Database, bestHpPath: string | undefined): Promise<StatusReport['tuning']> {
  const run = (await new SqlTuningStorage(db).listRuns({ limit: 1 }))[0];
  let bestHp: BestHp | null = null;
  let bestHpError: string | null = null;
  if (bestHpPath && existsSync(bestHpPath)) {
    try {
      bestHp = readBestHp(bestHpPath) ?? null;
    } catch (error) {
      bestHpError = (error as Error).message;
    }
  }
  const lastRun = run
    ? {
        id: run.id,
        method: run.method,
        model: run.model,
        objective: run.objective,
        status: run.status,
        trialsDone: run.trialsDone,
        trialsPlanned: run.trialsPlanned,
        bestValue: run.bestValue,
        startedAt: run.startedAt,
        endedAt: run.endedAt,
      }
    : null;
  return { lastRun, bestHpPath: bestHpPath ?? null, bestHp, bestHpError };
}

/**
 * The deployment status: champion and challenger with their
 * offline metrics, age and live accuracy; alias history; the running A/B test and its verdict so
 * far; tracker accuracy against the threshold; the last tuning run and best_hp.json; the last
 * retrain triggers and the lock; database size and health. Reads only.
 */
export async function statusReport(db: Database, options: StatusOptions = {}): Promise<StatusReport> {
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now)) throw new InvalidInputError(`now must be epoch milliseconds, got ${now}`);
  const config = options.config ?? loadConfig();
  const from = windowStart(now, config.trainingWindowDays);
  const aliases = await readAliases(db);

  const running = await getRunningAbTest(db);
  const abTest = running ? summarizeAb(await evaluateAbTest(db, { testId: running.id, now })) : null;
  const ended = (await listAbTests(db))
    .filter((t) => t.status !== 'running')
    .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))[0];

  return {
    report: 'status',
    generatedAt: now,
    champion: await versionStatus(db, aliases.get('champion'), now, from),
    challenger: await versionStatus(db, aliases.get('challenger'), now, from),
    aliasHistory: await aliasHistory(db, { limit: 10 }),
    abTest,
    lastAbTest: ended
      ? { id: ended.id, decision: ended.decision, reason: ended.decisionReason, endedAt: ended.endedAt }
      : null,
    tracker: await trackerSection(db, config, from, now),
    tuning: await tuningSection(db, options.bestHpPath),
    retrain: { lock: await retrainLockState(db), triggers: await listTriggers(db, 5) },
    database: await databaseHealth(db),
  };
}
