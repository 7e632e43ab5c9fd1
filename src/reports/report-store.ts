/** Tables whose row counts the reports show. */
export const countedTables = [
  'movies',
  'users',
  'ratings',
  'served_recommendations',
  'recommendation_quality',
  'model_versions',
  'ab_tests',
  'hp_tuning_history',
  'hp_experiments',
  'retrain_triggers',
] as const;

export type CountedTable = (typeof countedTables)[number];

/** How often the retraining loop acted, for the simulation's summary. */
export interface RetrainCounts {
  /** Triggers the tracker raised by itself. */
  readonly autoTriggers: number;
  /** Triggers whose retrain succeeded. */
  readonly succeeded: number;
}

/**
 * The read-only queries reports make across many tables (row counts, the schema version, how
 * often each movie is rated). Queries of one module's own tables belong to that module's store.
 * The contract suite is `report-store.contract.ts`.
 */
export interface ReportStore {
  /** Rows of each table asked for. */
  rowCounts(tables: readonly CountedTable[]): Promise<Record<CountedTable, number>>;
  /** The newest migration applied, 0 before any. */
  schemaVersion(): Promise<number>;
  /** Ratings per movie (movies without ratings are absent). */
  ratingsPerMovie(): Promise<Map<number, number>>;
  /** Tracked ratings that were unexpected (never recommended), all time. */
  unexpectedTracked(): Promise<number>;
  retrainCounts(): Promise<RetrainCounts>;
}
