import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { isPostgresUrl } from '../db/open-database.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { TrialMetrics } from './objective.ts';
import type { Trial, TuningRun } from './tuning-storage.ts';

/** An improvement of accuracy: in percentage points, and relative to what it improves on. */
export interface Improvement {
  readonly points: number;
  /** (best − reference) / reference, e.g. 0.0514 for "+5.14 %". */
  readonly relative: number;
}

/**
 * best_hp.json: the best configuration found, what it scored, and what it is compared with. It
 * belongs to one database (`database`), and lives beside it; `train` and `retrain` take its
 * parameters for the same model kind, and `tune --json` prints the same object.
 */
export interface BestHp {
  /** The database whose ratings were tuned on: the SQLite file's absolute path, or the URL without password. */
  readonly database: string;
  readonly model: string;
  readonly params: ModelParams;
  readonly objective: string;
  readonly direction: 'maximize' | 'minimize';
  readonly value: number;
  readonly metrics: TrialMetrics;
  readonly baseline: {
    /** Accuracy of always predicting the training majority class ("liked" or not). */
    readonly majorityAccuracy: number;
    /** The model's default configuration and its metrics on the same folds, when measured. */
    readonly defaultParams: ModelParams | null;
    readonly defaultMetrics: TrialMetrics | null;
  };
  /** The best's accuracy over the default configuration's (null when not measured) and over the majority baseline. */
  readonly improvement: {
    readonly overDefault: Improvement | null;
    readonly overMajority: Improvement | null;
  };
  readonly method: string;
  readonly runId: string;
  readonly trialNumber: number;
  readonly dataFingerprint: string;
  readonly folds: number;
  /** ISO 8601. */
  readonly createdAt: string;
}

const paramValue = z.union([z.number(), z.string(), z.boolean()]);
const metricsSchema = z.looseObject({ accuracy: z.number(), rmse: z.number(), mae: z.number() });
const bestHpSchema = z.looseObject({
  database: z.string().optional(),
  model: z.string(),
  params: z.record(z.string(), paramValue),
  objective: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  value: z.number(),
  metrics: metricsSchema,
  baseline: z.looseObject({ majorityAccuracy: z.number() }),
  method: z.string(),
  runId: z.string(),
  trialNumber: z.number().int(),
  dataFingerprint: z.string(),
  createdAt: z.string(),
});

/** The name a best_hp.json uses for a database: the SQLite file's absolute path, or the URL as given (password removed). */
export function databaseIdentity(databaseLocation: string): string {
  if (isPostgresUrl(databaseLocation)) {
    const u = new URL(databaseLocation);
    if (u.password) u.password = '***';
    return u.toString();
  }
  return databaseLocation === ':memory:' ? ':memory:' : resolve(databaseLocation);
}

/**
 * Where a database's best_hp.json goes by default: beside the SQLite file, named after it
 * (`ml.db` → `ml.db.best_hp.json`), so two databases in one folder never share one; for PostgreSQL
 * in the working directory, named after the host, port and database
 * (`best_hp.localhost_5432_movies.json`); for an in-memory database `best_hp.memory.json`.
 */
export function bestHpPathFor(databaseLocation: string): string {
  if (isPostgresUrl(databaseLocation)) {
    const u = new URL(databaseLocation);
    const name = `${u.hostname}_${u.port || '5432'}_${u.pathname.replace(/^\//, '') || 'postgres'}`;
    return resolve(`best_hp.${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }
  if (databaseLocation === ':memory:') return resolve('best_hp.memory.json');
  const file = resolve(databaseLocation);
  return join(dirname(file), `${basename(file)}.best_hp.json`);
}

/** The best_hp.json that `train` and `retrain` read for a database; null for an in-memory one (it has no file of its own). */
export function bestHpFileFor(databaseLocation: string): string | null {
  return databaseLocation === ':memory:' ? null : bestHpPathFor(databaseLocation);
}

/**
 * Reads best_hp.json; undefined when the file does not exist, InvalidInputError when it is bad or,
 * given `database`, when it belongs to another database (or names none).
 */
export function readBestHp(path: string, database?: string): BestHp | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = bestHpSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const best = parsed.data as unknown as BestHp;
  if (database !== undefined) requireSameDatabase(path, best.database, database);
  return best;
}

/** Refuses a best_hp.json of another database, naming both. */
export function requireSameDatabase(path: string, fileDatabase: string | undefined, database: string): void {
  const expected = databaseIdentity(database);
  if (fileDatabase === undefined) {
    throw new InvalidInputError(
      `${path} names no database, so it cannot be told apart from another database's; tune again (or remove it)`,
    );
  }
  if (fileDatabase !== expected) {
    throw new InvalidInputError(
      `${path} belongs to database ${fileDatabase}, not ${expected}; tune this database or choose another --best-out`,
    );
  }
}

/**
 * best_hp.json's parameters for `kind` on this database, or null when there is no file (an
 * in-memory database has none) or it is about another model. A file of another database is an
 * error (readBestHp says which).
 */
export function tunedParamsFor(databaseLocation: string, kind: string): ModelParams | null {
  const path = bestHpFileFor(databaseLocation);
  const best = path === null ? undefined : readBestHp(path, databaseLocation);
  return best && best.model === kind ? best.params : null;
}

/** The improvement of `best` over `reference` accuracy; null when the reference is unknown or zero. */
export function improvementOver(best: number, reference: number | null | undefined): Improvement | null {
  if (reference === null || reference === undefined || !(reference > 0) || !Number.isFinite(best))
    return null;
  return { points: 100 * (best - reference), relative: (best - reference) / reference };
}

/**
 * Writes best_hp.json atomically: a temporary file in the same folder, flushed to disk, then
 * renamed over the old one, so a reader (or a crash) sees the old file or the new one, never half.
 */
export function writeBestHp(path: string, best: BestHp): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(best, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Should `candidate` replace `current`? Yes when there is no file, when the file is about another
 * model, objective or data (the newest tuning on the current data wins), or when it scores better.
 */
export function isNewBest(candidate: BestHp, current: BestHp | undefined): boolean {
  if (!current) return true;
  if (
    current.model !== candidate.model ||
    current.objective !== candidate.objective ||
    current.dataFingerprint !== candidate.dataFingerprint
  ) {
    return true;
  }
  const d =
    candidate.direction === 'maximize' ? candidate.value - current.value : current.value - candidate.value;
  if (Math.abs(d) > 1e-12) return d > 0;
  return candidate.metrics.rmse < current.metrics.rmse;
}

/** A damaged best_hp.json is replaced rather than blocking every run. */
export function readBestHpIfSound(path: string): BestHp | undefined {
  try {
    return readBestHp(path);
  } catch {
    return undefined;
  }
}

/**
 * Where best_hp.json goes (null: not written). A file already there that belongs to another
 * database is refused before any trial runs: two databases never share or overwrite one.
 */
export function bestHpTarget(location: string, bestOut: string | null | undefined): string | null {
  if (bestOut === null) return null;
  const path = bestOut ?? bestHpPathFor(location);
  if (existsSync(path)) {
    let file: BestHp | undefined;
    try {
      file = readBestHp(path);
    } catch {
      // A damaged file is replaced rather than blocking every run.
      return path;
    }
    if (file) requireSameDatabase(path, file.database, location);
  }
  return path;
}

/** The best_hp.json object of a run's best trial, for the database at `database`. */
export function bestHpOf(run: TuningRun, best: Trial, database: string): BestHp {
  const metrics = best.metrics;
  if (best.value === null || !metrics) throw new Error(`trial ${best.number} of ${run.id} has no value`);
  return {
    database: databaseIdentity(database),
    model: run.model,
    params: best.params,
    objective: run.objective,
    direction: run.direction,
    value: best.value,
    metrics,
    baseline: {
      majorityAccuracy: metrics.baselineAccuracy,
      defaultParams: run.config.baseline?.params ?? null,
      defaultMetrics: run.config.baseline?.metrics ?? null,
    },
    improvement: {
      overDefault: improvementOver(metrics.accuracy, run.config.baseline?.metrics.accuracy),
      overMajority: improvementOver(metrics.accuracy, metrics.baselineAccuracy),
    },
    method: run.method,
    runId: run.id,
    trialNumber: best.number,
    dataFingerprint: run.dataFingerprint,
    folds: run.config.folds,
    createdAt: new Date(run.endedAt ?? Date.now()).toISOString(),
  };
}
