import type { Queryable } from '../db/database.ts';
import { proportion } from '../experiments/statistics.ts';
import type { QualityGroupColumn, QualitySums } from './quality-store.ts';
import { qualityStore } from './sql-quality-store.ts';

const dayMs = 86_400_000;

/** Liked-accuracy of a group of tracked ratings. */
export interface AccuracyFigure {
  readonly samples: number;
  readonly hits: number;
  /** hits / samples; null without samples. */
  readonly accuracy: number | null;
  /** 95 % Wilson interval of the accuracy (the same interval the A/B statistics use). */
  readonly low: number;
  readonly high: number;
  /** Mean |predicted − actual|; null without samples. */
  readonly mae: number | null;
}

export interface MovieAccuracy extends AccuracyFigure {
  readonly movieId: number;
  readonly title: string | null;
}

export function accuracyFigure(samples: number, hits: number, errorSum: number | null): AccuracyFigure {
  const { low, high } = proportion(hits, samples);
  return {
    samples,
    hits,
    accuracy: samples > 0 ? hits / samples : null,
    low,
    high,
    mae: samples > 0 && errorSum !== null ? errorSum / samples : null,
  };
}

/** The rolling window ending at `now`: [now − days, now]. */
export function windowStart(now: number, days: number): number {
  return now - days * dayMs;
}

function toFigure(sums: QualitySums): AccuracyFigure {
  return accuracyFigure(sums.samples, sums.hits, sums.errorSum);
}

/**
 * Accuracy of the recommended (not unexpected) ratings rated in [from, to], optionally of one
 * model version only.
 */
export async function windowAccuracy(
  db: Queryable,
  from: number,
  to: number,
  modelVersion?: number,
): Promise<AccuracyFigure> {
  return toFigure(await qualityStore(db).qualitySums(from, to, modelVersion));
}

/**
 * One version's accuracy over [from, to] from established users only (no web account, or an
 * account at least `establishedMs` old when they rated), with how many distinct users it rests on.
 */
export async function establishedAccuracy(
  db: Queryable,
  from: number,
  to: number,
  modelVersion: number,
  establishedMs: number,
): Promise<AccuracyFigure & { readonly users: number }> {
  const sums = await qualityStore(db).establishedQualitySums(from, to, modelVersion, establishedMs);
  return { ...toFigure(sums), users: sums.users };
}

/** Accuracy grouped by one column (model_version, arm…) over [from, to]. */
export async function accuracyBy(
  db: Queryable,
  column: QualityGroupColumn,
  from: number,
  to: number,
): Promise<Array<{ key: string | number | null } & AccuracyFigure>> {
  const groups = await qualityStore(db).qualitySumsBy(column, from, to);
  return groups.map((g) => ({
    key: g.key === null ? null : typeof g.key === 'number' ? g.key : String(g.key),
    ...toFigure(g),
  }));
}

/**
 * Per-movie accuracy over [from, to], counting only movies with at least `minSamples` tracked
 * ratings (fewer say nothing about a movie), worst first; optionally one model version only.
 */
export async function movieAccuracy(
  db: Queryable,
  from: number,
  to: number,
  minSamples: number,
  options: { modelVersion?: number; limit?: number } = {},
): Promise<MovieAccuracy[]> {
  const groups = await qualityStore(db).movieQualitySums(from, to, minSamples, options.modelVersion);
  const out = groups.map((g) => ({ movieId: Number(g.key), title: g.title, ...toFigure(g) }));
  return options.limit === undefined ? out : out.slice(0, options.limit);
}

/** Accuracy per day (UTC) over [from, to], oldest first: the trend `track status` shows. */
export async function dailyAccuracy(
  db: Queryable,
  from: number,
  to: number,
): Promise<Array<{ day: string } & AccuracyFigure>> {
  const days = await qualityStore(db).dailyQualitySums(from, to);
  return days.map((d) => ({
    day: new Date(Math.floor(Number(d.key)) * dayMs).toISOString().slice(0, 10),
    ...toFigure(d),
  }));
}

/** Counts over [from, to]: all ratings tracked, recommended ones, unexpected ones. */
export async function windowCounts(
  db: Queryable,
  from: number,
  to: number,
): Promise<{ tracked: number; recommended: number; unexpected: number }> {
  const { tracked, unexpected } = await qualityStore(db).trackedCounts(from, to);
  return { tracked, recommended: tracked - unexpected, unexpected };
}
