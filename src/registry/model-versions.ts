import { type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import type { Database, Queryable } from '../db/database.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { decodeModel } from '../models/model-format.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { type AliasName, lockRegistry, moveAlias, readAliases, rollbackTarget } from './aliases.ts';
import { formatOf, sha256Hex } from './artifacts.ts';

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
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.size; i++) {
    const t = data.timestamps[i]!;
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return {
    rows: data.size,
    from: data.size ? from : null,
    to: data.size ? to : null,
    fingerprint: ratingsFingerprint(data),
  };
}

interface VersionRow {
  version: number;
  model_kind: string;
  params: string;
  train_rows: number;
  train_from: number | null;
  train_to: number | null;
  data_fingerprint: string;
  parent_version: number | null;
  tuning_run_id: string | null;
  tuning_trial_number: number | null;
  metrics: string;
  artifact_checksum: string | null;
  artifact_format: number | null;
  artifact_bytes: number | null;
  status: string;
  reason: string;
  created_at: number;
}

const versionColumns = `version, model_kind, params, train_rows, train_from, train_to, data_fingerprint,
  parent_version, tuning_run_id, tuning_trial_number, metrics, artifact_checksum, artifact_format,
  artifact_bytes, status, reason, created_at`;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toVersion(r: VersionRow, aliases: readonly AliasName[]): ModelVersion {
  return Object.freeze({
    version: Number(r.version),
    kind: r.model_kind,
    params: JSON.parse(r.params) as ModelParams,
    training: {
      rows: Number(r.train_rows),
      from: num(r.train_from),
      to: num(r.train_to),
      fingerprint: r.data_fingerprint,
    },
    parentVersion: num(r.parent_version),
    tuningRunId: r.tuning_run_id,
    tuningTrialNumber: num(r.tuning_trial_number),
    metrics: JSON.parse(r.metrics) as Record<string, number>,
    artifact:
      r.artifact_checksum === null || r.status === 'pruned'
        ? null
        : {
            checksum: r.artifact_checksum,
            format: Number(r.artifact_format),
            bytes: Number(r.artifact_bytes),
          },
    status: r.status as VersionStatus,
    reason: r.reason as VersionReason,
    createdAt: Number(r.created_at),
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

/**
 * Registers a fitted model as the next version, storing its artifact in the database (so any
 * process that reaches the database can load it) with its SHA-256 and format version, its
 * training data and lineage. The first version ever registered becomes champion by itself;
 * `activate` makes any new version champion in the same transaction.
 */
export async function registerVersion(db: Database, input: RegisterVersionInput): Promise<ModelVersion> {
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
  const now = input.now ?? Date.now();
  const checksum = sha256Hex(bytes);
  const registered = await db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const aliases = await readAliases(tx);
    const champion = aliases.get('champion') ?? null;
    const parent = input.parentVersion === undefined ? champion : input.parentVersion;
    if (
      parent !== null &&
      !(await tx.get('SELECT version FROM model_versions WHERE version = ?', [parent]))
    ) {
      throw new NotFoundError(`parentVersion ${parent}: no such model version`);
    }
    const next = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions');
    const version = Number(next?.v ?? 0) + 1;
    await tx.run(
      `INSERT INTO model_versions (version, model_kind, params, train_rows, train_from, train_to, data_fingerprint,
        parent_version, tuning_run_id, tuning_trial_number, metrics, artifact, artifact_checksum, artifact_format,
        artifact_bytes, status, reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?)`,
      [
        version,
        decoded.kind,
        JSON.stringify(decoded.params),
        t.rows,
        t.from,
        t.to,
        t.fingerprint,
        parent,
        input.tuningRunId ?? null,
        input.tuningTrialNumber ?? null,
        JSON.stringify(input.metrics ?? {}),
        bytes,
        checksum,
        formatOf(bytes),
        bytes.length,
        input.reason,
        now,
      ],
    );
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
  const row = await db.get<VersionRow>(`SELECT ${versionColumns} FROM model_versions WHERE version = ?`, [
    version,
  ]);
  if (!row) throw new NotFoundError(`model version ${version}: no such version`);
  return toVersion(row, aliasesOf(await readAliases(db), version));
}

/** Every version, newest first (without artifact bytes). */
export async function listVersions(db: Queryable): Promise<ModelVersion[]> {
  const rows = await db.all<VersionRow>(`SELECT ${versionColumns} FROM model_versions ORDER BY version DESC`);
  const aliases = await readAliases(db);
  return rows.map((r) => toVersion(r, aliasesOf(aliases, Number(r.version))));
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
    await lockRegistry(tx, now);
    const guard = new Map<number, string>();
    for (const [alias, v] of await readAliases(tx)) guard.set(v, alias);
    const running = await tx.all<{ id: number; champion_version: number; challenger_version: number }>(
      "SELECT id, champion_version, challenger_version FROM ab_tests WHERE status = 'running'",
    );
    for (const t of running) {
      if (!guard.has(Number(t.champion_version)))
        guard.set(Number(t.champion_version), `running A/B test #${t.id}`);
      if (!guard.has(Number(t.challenger_version)))
        guard.set(Number(t.challenger_version), `running A/B test #${t.id}`);
    }
    const back = await rollbackTarget(tx);
    if (back !== null && !guard.has(back)) guard.set(back, 'rollback target (previous champion)');

    const live = await tx.all<{ version: number }>(
      "SELECT version FROM model_versions WHERE status <> 'pruned' ORDER BY version DESC",
    );
    const pruned: number[] = [];
    live.forEach((r, i) => {
      const v = Number(r.version);
      if (i >= options.keep && !guard.has(v)) pruned.push(v);
    });
    for (const v of pruned) {
      await tx.run("UPDATE model_versions SET artifact = NULL, status = 'pruned' WHERE version = ?", [v]);
    }
    return {
      pruned: pruned.sort((a, b) => a - b),
      protectedVersions: [...guard]
        .map(([version, why]) => ({ version, why }))
        .sort((a, b) => a.version - b.version),
    };
  });
}
