import type { ModelParams } from '../models/rating-model.ts';

export type AliasName = 'champion' | 'challenger';

/**
 * How an alias moved: `first` (the first version ever became champion), `activate` (by hand or on
 * registration), `rollback`, `ab-activate` (an A/B test promoted its challenger), `set` / `clear`
 * (challenger set by a test start, cleared by its end).
 */
export type AliasAction = 'first' | 'activate' | 'rollback' | 'ab-activate' | 'set' | 'clear';

/** One move of an alias. Never updated. */
export interface AliasHistoryEntry {
  readonly id: number;
  readonly alias: AliasName;
  readonly action: AliasAction;
  readonly previousVersion: number | null;
  readonly newVersion: number | null;
  readonly reason: string;
  readonly abTestId: number | null;
  /** The numbers behind the move (an A/B decision's statistics). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly movedAt: number;
}

/** A history entry before the store numbers it. */
export type NewAliasHistoryEntry = Omit<AliasHistoryEntry, 'id'>;

/** Where an alias points and when it last moved (what serving processes poll). */
export interface AliasPointer {
  readonly version: number;
  readonly updatedAt: number;
}

/** A stored version as its row holds it (the artifact bytes are read on their own). */
export interface VersionRecord {
  readonly version: number;
  readonly kind: string;
  readonly params: ModelParams;
  readonly trainRows: number;
  readonly trainFrom: number | null;
  readonly trainTo: number | null;
  readonly dataFingerprint: string;
  readonly parentVersion: number | null;
  readonly tuningRunId: string | null;
  readonly tuningTrialNumber: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly artifactChecksum: string | null;
  readonly artifactFormat: number | null;
  readonly artifactBytes: number | null;
  readonly status: string;
  readonly reason: string;
  readonly createdAt: number;
}

/** A new version's row together with its artifact bytes. */
export interface NewVersionRecord extends VersionRecord {
  readonly artifact: Uint8Array;
}

/** A version's stored artifact as it is in the database (checked by the caller). */
export interface StoredArtifact {
  readonly bytes: Uint8Array | null;
  readonly checksum: string | null;
  readonly status: string;
}

/** The versions a running A/B test uses. */
export interface RunningTestVersions {
  readonly id: number;
  readonly championVersion: number;
  readonly challengerVersion: number;
}

/**
 * The model registry's storage: versions with their artifacts, the two aliases and every move of
 * them. Writes that decide from what they read run inside one transaction opened by `lock`, so on
 * PostgreSQL registry writers queue on one row and each sees what the previous one committed.
 * The contract suite (`registry-store.contract.ts`) is what every implementation passes.
 */
export interface RegistryStore {
  /** Opens a registry write: call first inside the transaction. */
  lock(now: number): Promise<void>;
  /** Current alias → version. */
  aliases(): Promise<Map<AliasName, number>>;
  /** Where one alias points and when it moved, or null when it is not set. */
  alias(name: AliasName): Promise<AliasPointer | null>;
  /** Points an alias at a version (null removes it). */
  setAlias(name: AliasName, version: number | null, now: number): Promise<void>;
  appendAliasHistory(entry: NewAliasHistoryEntry): Promise<void>;
  /** The alias history, oldest first (`alias` to restrict it, `limit` for the newest N). */
  aliasHistory(options?: { alias?: AliasName; limit?: number }): Promise<AliasHistoryEntry[]>;
  /** The largest version number, 0 when there is none. */
  maxVersion(): Promise<number>;
  insertVersion(record: NewVersionRecord): Promise<void>;
  version(version: number): Promise<VersionRecord | undefined>;
  /** Every version, newest first. */
  versions(): Promise<VersionRecord[]>;
  /** Versions whose artifact is still stored, newest first. */
  unprunedVersions(): Promise<number[]>;
  /** Marks a ready version `discarded` (it lost an A/B test); other statuses stay. */
  discardVersion(version: number): Promise<void>;
  /** Removes a version's artifact and marks it `pruned` (its row stays for lineage). */
  pruneArtifact(version: number): Promise<void>;
  /** The stored artifact of a version, undefined when there is no such version. */
  artifact(version: number): Promise<StoredArtifact | undefined>;
  /** The running A/B test's versions, which pruning must keep. */
  runningTest(): Promise<RunningTestVersions | undefined>;
  /** Marks the running A/B test stopped (a manual champion change); returns its id, or null. */
  stopRunningTest(reason: string, now: number): Promise<number | null>;
}
