import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { isPostgresUrl } from '../db/open-database.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { TrialMetrics } from './objective.ts';

/**
 * best_hp.json: the best configuration found, what it scored, and what it is compared with. The
 * retrainer (issue 6) reads it to train with tuned parameters; `tune --json` prints the same object.
 */
export interface BestHp {
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

/** best_hp.json beside the SQLite file; in the working directory for PostgreSQL or `:memory:`. */
export function bestHpPathFor(databaseLocation: string): string {
  if (isPostgresUrl(databaseLocation) || databaseLocation === ':memory:') return resolve('best_hp.json');
  return join(dirname(resolve(databaseLocation)), 'best_hp.json');
}

/** Reads best_hp.json; undefined when the file does not exist, InvalidInputError when it is bad. */
export function readBestHp(path: string): BestHp | undefined {
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
  return parsed.data as unknown as BestHp;
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
