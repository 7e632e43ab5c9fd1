import type { Queryable } from '../db/database.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { loadVersionArtifact } from './artifacts.ts';
import { getVersion, type ModelVersion } from './model-versions.ts';
import type { AliasPointer } from './registry-store.ts';
import { registryStore } from './sql-registry-store.ts';

/**
 * The one place that reads "the champion": the version the `champion` alias points at. Serving,
 * the tracker, revalidation, retraining and the reports all ask here, in the shape they need (a
 * number, the alias row with its move time, the version record, or the loaded model).
 */

/** The champion's version number, or null when no model is active. */
export async function championVersion(db: Queryable): Promise<number | null> {
  return (await registryStore(db).alias('champion'))?.version ?? null;
}

/** The champion alias and when it last moved (what a serving cache polls), or null. */
export async function championPointer(db: Queryable): Promise<AliasPointer | null> {
  return registryStore(db).alias('champion');
}

/** The champion's version record (kind, params, training facts), or null. */
export async function championRecord(db: Queryable): Promise<ModelVersion | null> {
  const version = await championVersion(db);
  return version === null ? null : getVersion(db, version);
}

/** The champion with its model loaded, or why its artifact could not be loaded. */
export interface ChampionInfo {
  readonly version: number;
  readonly kind: string;
  readonly params: ModelParams;
  /** Newest rating time of its training data (its lineage), epoch ms; null if unknown. */
  readonly dataTo: number | null;
  /** The loaded model; null when its artifact cannot be read (a comparison then skips it). */
  readonly model: RatingModel | null;
  readonly loadError: string | null;
}

/** The champion with its model loaded from its artifact, or null when no model is active. */
export async function readChampion(db: Queryable): Promise<ChampionInfo | null> {
  const record = await championRecord(db);
  if (record === null) return null;
  const info = {
    version: record.version,
    kind: record.kind,
    params: record.params,
    dataTo: record.training.to,
  };
  try {
    return { ...info, model: await loadVersionArtifact(db, info.version), loadError: null };
  } catch (error) {
    return { ...info, model: null, loadError: (error as Error).message };
  }
}
