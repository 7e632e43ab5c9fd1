import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import { ArtifactError, NotFoundError } from '../errors.ts';
import { loadModel } from '../models/model-registry.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { registryStore } from './sql-registry-store.ts';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The format version written in an artifact's header (bytes 8–11, little-endian). */
export function formatOf(bytes: Uint8Array): number {
  if (bytes.length < 12) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
}

/**
 * The artifact bytes of a version, verified against the SHA-256 stored at registration. Anything else is an
 * ArtifactError naming the version and what is wrong, so a caller can refuse to serve it and keep what it has.
 */
export async function readArtifact(db: Queryable, version: number): Promise<Uint8Array> {
  const row = await registryStore(db).artifact(version);
  if (!row) throw new NotFoundError(`model version ${version}: no such version`);
  const bytes = row.bytes;
  if (!bytes || bytes.length === 0) {
    throw new ArtifactError(
      `model version ${version}: artifact is missing${row.status === 'pruned' ? ' (the version was pruned)' : ''}`,
    );
  }
  if (sha256Hex(bytes) !== row.checksum) {
    throw new ArtifactError(
      `model version ${version}: artifact is damaged (its SHA-256 does not match the checksum stored at registration)`,
    );
  }
  return bytes;
}

/**
 * The model of a version, restored from its verified artifact. Another format version, an unknown
 * kind or an undecodable body also become an ArtifactError naming the version.
 */
export async function loadVersionArtifact(db: Queryable, version: number): Promise<RatingModel> {
  const bytes = await readArtifact(db, version);
  try {
    return loadModel(bytes);
  } catch (error) {
    throw new ArtifactError(`model version ${version}: ${(error as Error).message}`);
  }
}
