import { type RatingsData, ratingsFingerprint, ratingsTimeRange } from '../data/ratings-data.ts';
import type { Database, Queryable } from '../db/database.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { decodeModel, type ModelArtifact } from '../models/model-format.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { type AliasName, moveAlias, rollbackTarget } from './aliases.ts';
import { formatOf, sha256Hex } from './artifacts.ts';
import type { RegistryStore, VersionRecord } from './registry-store.ts';
import { registryStore } from './sql-registry-store.ts';

/** Why a version was made. */
export const versionReasons = ['manual', 'tuned', 'retrain'] as const;
export type VersionReason = (typeof versionReasons)[number];

/** `ready` (usable), `discarded` (lost an A/B test, kept for the record), `pruned` (artifact removed). */
export type VersionStatus = 'ready' | 'discarded' | 'pruned';

/** What a version was trained on. */
export interface TrainingDataInfo {
  readonly rows: number;
  /** Oldest and newest rating time, epoch ms (null for no ratings). */
  readonly from: number | null;
  readonly to: number | null;
  /** `ratingsFingerprint` of the training data. */
  readonly fingerprint: string;
}

/** A registered model version. Read-only: a version never changes except its status. */
export interface ModelVersion {
  readonly version: number;
  readonly kind: string;
  readonly params: ModelParams;
  readonly training: TrainingDataInfo;
  /** The version this one was made to succeed (lineage). */
  readonly parentVersion: number | null;
  readonly tuningRunId: string | null;
  readonly tuningTrialNumber: number | null;
  /** Offline metrics (rmse, accuracy …) measured when it was made. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The stored artifact; null once pruned. */
  readonly artifact: { readonly checksum: string; readonly format: number; readonly bytes: number } | null;
  readonly status: VersionStatus;
  readonly reason: VersionReason;
  readonly createdAt: number;
  /** Aliases pointing at it now. */
  readonly aliases: readonly AliasName[];
}

export interface RegisterVersionInput {
  /** A fitted model (saved with `save()`), or its saved bytes in `artifact`. */
  readonly model?: RatingModel;
  readonly artifact?: Uint8Array;
  readonly training: TrainingDataInfo;
  readonly reason: VersionReason;
  /** Default: the current champion (the model this one is meant to succeed); null for none. */
  readonly parentVersion?: number | null;
  readonly tuningRunId?: string | null;
  readonly tuningTrialNumber?: number | null;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Make it champion at once (the first version ever registered becomes champion anyway). */
  readonly activate?: boolean;
  readonly now?: number;
}

/** The training facts of a RatingsData, as a version records them. */
export function trainingDataInfo(data: RatingsData): TrainingDataInfo {
  return { rows: data.size, ...ratingsTimeRange(data), fingerprint: ratingsFingerprint(data) };
}

function toVersion(r: VersionRecord, aliases: readonly AliasName[]): ModelVersion {
  return Object.freeze({
    version: r.version,
    kind: r.kind,
    params: r.params,
    training: { rows: r.trainRows, from: r.trainFrom, to: r.trainTo, fingerprint: r.dataFingerprint },
    parentVersion: r.parentVersion,
    tuningRunId: r.tuningRunId,
    tuningTrialNumber: r.tuningTrialNumber,
    metrics: r.metrics,
    artifact:
      r.artifactChecksum === null || r.status === 'pruned'
        ? null
        : { checksum: r.artifactChecksum, format: r.artifactFormat ?? 0, bytes: r.artifactBytes ?? 0 },
    status: r.status as VersionStatus,
    reason: r.reason as VersionReason,
    createdAt: r.createdAt,
    aliases,
  });
}

function aliasesOf(aliases: Map<AliasName, number>, version: number): AliasName[] {
  return [...aliases].filter(([, v]) => v === version).map(([a]) => a);
}

function checkOptionalInt(name: string, v: number | null | undefined): void {
  if (v !== undefined && v !== null && (!Number.isSafeInteger(v) || v < 0)) {
    throw new InvalidInputError(`${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
  }
}

/** The artifact bytes and their decoded form, after checking every input a version records. */
function checkRegistration(input: RegisterVersionInput): { bytes: Uint8Array; decoded: ModelArtifact } {
  const bytes = input.artifact ?? input.model?.save();
  if (!bytes)
    throw new InvalidInputError(
      'registerVersion: give the fitted model (model) or its saved bytes (artifact)',
    );
  // Refuse to store something that will not load later: decodeModel checks magic, format and checksum.
  const decoded = decodeModel(bytes);
  if (!(versionReasons as readonly string[]).includes(input.reason)) {
    throw new InvalidInputError(
      `reason must be one of ${versionReasons.join(', ')}, got ${JSON.stringify(input.reason)}`,
    );
  }
  const t = input.training;
  if (!Number.isSafeInteger(t.rows) || t.rows < 0) {
    throw new InvalidInputError(`training.rows must be a whole number ≥ 0, got ${JSON.stringify(t.rows)}`);
  }
  if (typeof t.fingerprint !== 'string' || t.fingerprint === '') {
    throw new InvalidInputError('training.fingerprint must be a non-empty string');
  }
  checkOptionalInt('parentVersion', input.parentVersion);
  checkOptionalInt('tuningTrialNumber', input.tuningTrialNumber);
  for (const [k, v] of Object.entries(input.metrics ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidInputError(`metrics.${k} must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
  return { bytes, decoded };
}

/**
 * Registers a fitted model as the next version, storing its artifact in the database (so any
 * process that reaches the database can load it) with its SHA-256 and format version, its
 * training data and lineage. The first version ever registered becomes champion by itself;
 * `activate` makes any new version champion in the same transaction.
 */
export async function registerVersion(db: Database, input: RegisterVersionInput): Promise<ModelVersion> {
  const { bytes, decoded } = checkRegistration(input);
  const t = input.training;
  const now = input.now ?? Date.now();
  const checksum = sha256Hex(bytes);
  const registered = await db.transaction(async (tx) => {
    const store = registryStore(tx);
    await store.lock(now);
    const champion = (await store.aliases()).get('champion') ?? null;
    const parent = input.parentVersion === undefined ? champion : input.parentVersion;
    if (parent !== null && !(await store.version(parent))) {
      throw new NotFoundError(`parentVersion ${parent}: no such model version`);
    }
    const version = (await store.maxVersion()) + 1;
    await store.insertVersion({
      version,
      kind: decoded.kind,
      params: decoded.params,
      trainRows: t.rows,
      trainFrom: t.from,
      trainTo: t.to,
      dataFingerprint: t.fingerprint,
      parentVersion: parent,
      tuningRunId: input.tuningRunId ?? null,
      tuningTrialNumber: input.tuningTrialNumber ?? null,
      metrics: input.metrics ?? {},
      artifact: bytes,
      artifactChecksum: checksum,
      artifactFormat: formatOf(bytes),
      artifactBytes: bytes.length,
      status: 'ready',
      reason: input.reason,
      createdAt: now,
    });
    if (champion === null || input.activate) {
      await moveAlias(tx, {
        alias: 'champion',
        version,
        action: champion === null ? 'first' : 'activate',
        reason:
          champion === null ? 'first version ever registered' : `registered with activate (${input.reason})`,
        now,
      });
    }
    return version;
  });
  return getVersion(db, registered);
}

/** One version (without its artifact bytes); NotFoundError if there is none. */
export async function getVersion(db: Queryable, version: number): Promise<ModelVersion> {
  const store = registryStore(db);
  const row = await store.version(version);
  if (!row) throw new NotFoundError(`model version ${version}: no such version`);
  return toVersion(row, aliasesOf(await store.aliases(), version));
}

/** Every version, newest first (without artifact bytes). */
export async function listVersions(db: Queryable): Promise<ModelVersion[]> {
  const store = registryStore(db);
  const rows = await store.versions();
  const aliases = await store.aliases();
  return rows.map((r) => toVersion(r, aliasesOf(aliases, r.version)));
}

export interface PruneResult {
  /** Versions whose artifacts were removed (their records and lineage stay). */
  readonly pruned: readonly number[];
  /** Versions kept because they are protected, and why. */
  readonly protectedVersions: ReadonlyArray<{ readonly version: number; readonly why: string }>;
}

/**
 * Removes the artifacts of all but the `keep` newest versions. Never touches the champion, the
 * challenger, a version a running A/B test uses, or the version a rollback would return to. The
 * rows stay (status `pruned`), so lineage and the versions named in served recommendations remain
 * explainable.
 */
export async function pruneVersions(
  db: Database,
  options: { keep: number; now?: number },
): Promise<PruneResult> {
  if (!Number.isSafeInteger(options.keep) || options.keep < 0) {
    throw new InvalidInputError(`keep must be a whole number ≥ 0, got ${JSON.stringify(options.keep)}`);
  }
  const now = options.now ?? Date.now();
  return db.transaction(async (tx) => {
    const store = registryStore(tx);
    await store.lock(now);
    const guard = await protectedVersions(tx, store);
    const pruned = (await store.unprunedVersions()).filter((v, i) => i >= options.keep && !guard.has(v));
    for (const v of pruned) await store.pruneArtifact(v);
    return {
      pruned: pruned.sort((a, b) => a - b),
      protectedVersions: [...guard]
        .map(([version, why]) => ({ version, why }))
        .sort((a, b) => a.version - b.version),
    };
  });
}

/** Versions pruning must keep, and why: aliases, a running A/B test's arms, the rollback target. */
async function protectedVersions(tx: Queryable, store: RegistryStore): Promise<Map<number, string>> {
  const guard = new Map<number, string>();
  for (const [alias, v] of await store.aliases()) guard.set(v, alias);
  const running = await store.runningTest();
  if (running) {
    for (const v of [running.championVersion, running.challengerVersion]) {
      if (!guard.has(v)) guard.set(v, `running A/B test #${running.id}`);
    }
  }
  const back = await rollbackTarget(tx);
  if (back !== null && !guard.has(back)) guard.set(back, 'rollback target (previous champion)');
  return guard;
}
