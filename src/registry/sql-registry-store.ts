import type { Queryable, SqlValue } from '../db/database.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type {
  AliasAction,
  AliasHistoryEntry,
  AliasName,
  AliasPointer,
  NewAliasHistoryEntry,
  NewVersionRecord,
  RegistryStore,
  RunningTestVersions,
  StoredArtifact,
  VersionRecord,
} from './registry-store.ts';

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

interface AliasHistoryRow {
  id: number;
  alias: AliasName;
  action: AliasAction;
  previous_version: number | null;
  new_version: number | null;
  reason: string;
  ab_test_id: number | null;
  details: string;
  moved_at: number;
}

const versionColumns = `version, model_kind, params, train_rows, train_from, train_to, data_fingerprint,
  parent_version, tuning_run_id, tuning_trial_number, metrics, artifact_checksum, artifact_format,
  artifact_bytes, status, reason, created_at`;

function toRecord(r: VersionRow): VersionRecord {
  return {
    version: r.version,
    kind: r.model_kind,
    params: JSON.parse(r.params) as ModelParams,
    trainRows: r.train_rows,
    trainFrom: r.train_from,
    trainTo: r.train_to,
    dataFingerprint: r.data_fingerprint,
    parentVersion: r.parent_version,
    tuningRunId: r.tuning_run_id,
    tuningTrialNumber: r.tuning_trial_number,
    metrics: JSON.parse(r.metrics) as Record<string, number>,
    artifactChecksum: r.artifact_checksum,
    artifactFormat: r.artifact_format,
    artifactBytes: r.artifact_bytes,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
  };
}

function toHistoryEntry(r: AliasHistoryRow): AliasHistoryEntry {
  return {
    id: r.id,
    alias: r.alias,
    action: r.action,
    previousVersion: r.previous_version,
    newVersion: r.new_version,
    reason: r.reason,
    abTestId: r.ab_test_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
    movedAt: r.moved_at,
  };
}

/**
 * The registry's SQL, on any `Queryable`: a connection, or the transaction a registry write runs
 * in. The A/B test rows it touches (`runningTest`, `stopRunningTest`) are the two the registry
 * itself must see: pruning keeps a running test's versions, and a manual champion change ends it.
 */
export class SqlRegistryStore implements RegistryStore {
  constructor(private readonly db: Queryable) {}

  async lock(now: number): Promise<void> {
    await this.db.run('UPDATE registry_state SET generation = generation + 1, updated_at = ? WHERE id = 1', [
      now,
    ]);
  }

  async aliases(): Promise<Map<AliasName, number>> {
    const rows = await this.db.all<{ alias: AliasName; version: number }>(
      'SELECT alias, version FROM model_aliases',
    );
    return new Map(rows.map((r) => [r.alias, r.version]));
  }

  async alias(name: AliasName): Promise<AliasPointer | null> {
    const row = await this.db.get<{ version: number; updated_at: number }>(
      'SELECT version, updated_at FROM model_aliases WHERE alias = ?',
      [name],
    );
    return row ? { version: row.version, updatedAt: row.updated_at } : null;
  }

  async setAlias(name: AliasName, version: number | null, now: number): Promise<void> {
    if (version === null) {
      await this.db.run('DELETE FROM model_aliases WHERE alias = ?', [name]);
      return;
    }
    await this.db.run(
      `INSERT INTO model_aliases (alias, version, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      [name, version, now],
    );
  }

  async appendAliasHistory(e: NewAliasHistoryEntry): Promise<void> {
    await this.db.run(
      `INSERT INTO alias_history (alias, action, previous_version, new_version, reason, ab_test_id, details, moved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.alias,
        e.action,
        e.previousVersion,
        e.newVersion,
        e.reason,
        e.abTestId,
        JSON.stringify(e.details),
        e.movedAt,
      ],
    );
  }

  async aliasHistory(options: { alias?: AliasName; limit?: number } = {}): Promise<AliasHistoryEntry[]> {
    const where = options.alias ? 'WHERE alias = ?' : '';
    const params: SqlValue[] = options.alias ? [options.alias] : [];
    const limit = options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
    const rows = await this.db.all<AliasHistoryRow>(
      `SELECT * FROM alias_history ${where} ORDER BY id DESC${limit}`,
      params,
    );
    return rows.reverse().map(toHistoryEntry);
  }

  async maxVersion(): Promise<number> {
    const row = await this.db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions');
    return row?.v ?? 0;
  }

  async insertVersion(r: NewVersionRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO model_versions (version, model_kind, params, train_rows, train_from, train_to, data_fingerprint,
        parent_version, tuning_run_id, tuning_trial_number, metrics, artifact, artifact_checksum, artifact_format,
        artifact_bytes, status, reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.version,
        r.kind,
        JSON.stringify(r.params),
        r.trainRows,
        r.trainFrom,
        r.trainTo,
        r.dataFingerprint,
        r.parentVersion,
        r.tuningRunId,
        r.tuningTrialNumber,
        JSON.stringify(r.metrics),
        r.artifact,
        r.artifactChecksum,
        r.artifactFormat,
        r.artifactBytes,
        r.status,
        r.reason,
        r.createdAt,
      ],
    );
  }

  async version(version: number): Promise<VersionRecord | undefined> {
    const row = await this.db.get<VersionRow>(
      `SELECT ${versionColumns} FROM model_versions WHERE version = ?`,
      [version],
    );
    return row ? toRecord(row) : undefined;
  }

  async versions(): Promise<VersionRecord[]> {
    const rows = await this.db.all<VersionRow>(
      `SELECT ${versionColumns} FROM model_versions ORDER BY version DESC`,
    );
    return rows.map(toRecord);
  }

  async unprunedVersions(): Promise<number[]> {
    const rows = await this.db.all<{ version: number }>(
      "SELECT version FROM model_versions WHERE status <> 'pruned' ORDER BY version DESC",
    );
    return rows.map((r) => r.version);
  }

  async discardVersion(version: number): Promise<void> {
    await this.db.run(
      "UPDATE model_versions SET status = 'discarded' WHERE version = ? AND status = 'ready'",
      [version],
    );
  }

  async pruneArtifact(version: number): Promise<void> {
    await this.db.run("UPDATE model_versions SET artifact = NULL, status = 'pruned' WHERE version = ?", [
      version,
    ]);
  }

  async artifact(version: number): Promise<StoredArtifact | undefined> {
    const row = await this.db.get<{
      artifact: Uint8Array | null;
      artifact_checksum: string | null;
      status: string;
    }>('SELECT artifact, artifact_checksum, status FROM model_versions WHERE version = ?', [version]);
    if (!row) return undefined;
    const a = row.artifact;
    return {
      bytes: a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : null,
      checksum: row.artifact_checksum,
      status: row.status,
    };
  }

  async runningTest(): Promise<RunningTestVersions | undefined> {
    const row = await this.db.get<{ id: number; champion_version: number; challenger_version: number }>(
      "SELECT id, champion_version, challenger_version FROM ab_tests WHERE status = 'running'",
    );
    return row
      ? { id: row.id, championVersion: row.champion_version, challengerVersion: row.challenger_version }
      : undefined;
  }

  async stopRunningTest(reason: string, now: number): Promise<number | null> {
    const running = await this.db.get<{ id: number }>("SELECT id FROM ab_tests WHERE status = 'running'");
    if (!running) return null;
    await this.db.run(
      "UPDATE ab_tests SET status = 'stopped', decision = 'stopped', decision_reason = ?, ended_at = ? WHERE id = ?",
      [reason, now, running.id],
    );
    return running.id;
  }
}

/** The registry store over a connection or a transaction. */
export function registryStore(db: Queryable): RegistryStore {
  return new SqlRegistryStore(db);
}
