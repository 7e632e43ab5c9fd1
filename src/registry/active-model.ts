import type { Queryable } from '../db/database.ts';
import { ArtifactError, NotFoundError } from '../errors.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { loadVersionArtifact } from './artifacts.ts';
import { championPointer } from './champion.ts';
import { getVersion, type ModelVersion } from './model-versions.ts';

/** The champion, ready to predict. */
export interface ActiveModel {
  readonly version: ModelVersion;
  readonly model: RatingModel;
}

/** What `getActiveModelVersion` has and whether its last attempt to switch failed. */
export interface ActiveModelStatus {
  readonly servingVersion: number | null;
  /** The champion the database names (may differ from the one served if it failed to load). */
  readonly championVersion: number | null;
  /** When the champion was last read from the database; null before the first read. */
  readonly lastCheckedAt: number | null;
  /** Why the named champion is not the one being served, if it is not. */
  readonly error: string | null;
}

/**
 * How often a long-running process re-reads the champion alias (one indexed single-row query).
 * Every replica serving one database polls on its own, so a champion moved through any replica or
 * the CLI is served everywhere within this interval plus one model load: one second keeps that
 * under two, for one cheap query a second per process.
 */
export const defaultMaxStalenessMs = 1000;

interface CacheState {
  active: ActiveModel | null;
  /** `version:updated_at` of the alias row the active model was loaded for (or failed on). */
  stamp: string | null;
  championVersion: number | null;
  checkedAt: number;
  error: string | null;
  refreshing: Promise<void> | null;
}

// Per connection object: tests and tools may hold several databases in one process.
const caches = new WeakMap<Queryable, CacheState>();
// Versions never change after registration, so a loaded model is valid for as long as we keep it.
const versionModels = new WeakMap<Queryable, Map<number, RatingModel>>();
const keptVersionModels = 4;

function stateOf(db: Queryable): CacheState {
  let s = caches.get(db);
  if (!s) {
    s = {
      active: null,
      stamp: null,
      championVersion: null,
      checkedAt: Number.NEGATIVE_INFINITY,
      error: null,
      refreshing: null,
    };
    caches.set(db, s);
  }
  return s;
}

/**
 * The model of any version, loaded once per process (a small LRU; versions are immutable). A
 * missing or damaged artifact throws ArtifactError and caches nothing.
 */
export async function loadVersionModel(db: Queryable, version: number): Promise<RatingModel> {
  let models = versionModels.get(db);
  if (!models) {
    models = new Map();
    versionModels.set(db, models);
  }
  const hit = models.get(version);
  if (hit) {
    models.delete(version);
    models.set(version, hit);
    return hit;
  }
  const model = await loadVersionArtifact(db, version);
  models.set(version, model);
  while (models.size > keptVersionModels) models.delete(models.keys().next().value as number);
  return model;
}

async function refresh(db: Queryable, s: CacheState, now: number): Promise<void> {
  const pointer = await championPointer(db);
  s.checkedAt = now;
  if (!pointer) {
    s.championVersion = null;
    return;
  }
  const version = pointer.version;
  s.championVersion = version;
  const stamp = `${version}:${pointer.updatedAt}`;
  // Same alias row as last time (served, or already refused): nothing to do until it moves again.
  if (stamp === s.stamp) return;
  try {
    const [model, info] = await Promise.all([loadVersionModel(db, version), getVersion(db, version)]);
    s.active = { version: info, model };
    s.error = null;
  } catch (error) {
    // Keep serving what we have; remember the refusal so we do not reload a broken artifact every poll.
    s.error = (error as Error).message;
  }
  s.stamp = stamp;
}

/**
 * The champion model, loaded once and cached per process.
 * At most every `maxStalenessMs` (1 s) one cheap query re-reads the champion alias, so a champion
 * changed by another process is served within a few seconds, without a restart. If the new
 * champion's artifact is missing or damaged, the model already loaded keeps being served and
 * `activeModelStatus` says why; with nothing loaded yet the ArtifactError is thrown.
 */
export async function getActiveModelVersion(
  db: Queryable,
  options: { maxStalenessMs?: number; now?: number } = {},
): Promise<ActiveModel> {
  const s = stateOf(db);
  const now = options.now ?? Date.now();
  const maxStaleness = options.maxStalenessMs ?? defaultMaxStalenessMs;
  if (now - s.checkedAt >= maxStaleness || !s.active) {
    // Concurrent callers share one refresh instead of each loading the model.
    if (!s.refreshing) {
      s.refreshing = refresh(db, s, now).finally(() => {
        s.refreshing = null;
      });
    }
    await s.refreshing;
  }
  if (s.active) return s.active;
  if (s.error) throw new ArtifactError(s.error);
  throw new NotFoundError('no active model: train one first (movienight train --model baseline)');
}

/** What the cache of this connection serves, for health checks and `versions list`. */
export function activeModelStatus(db: Queryable): ActiveModelStatus {
  const s = stateOf(db);
  return {
    servingVersion: s.active?.version.version ?? null,
    championVersion: s.championVersion,
    lastCheckedAt: Number.isFinite(s.checkedAt) ? s.checkedAt : null,
    error: s.error,
  };
}

/** Forgets what this connection has cached (the next call reloads). */
export function clearActiveModelCache(db: Queryable): void {
  caches.delete(db);
  versionModels.delete(db);
}
