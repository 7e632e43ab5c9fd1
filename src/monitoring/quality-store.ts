/** A served recommendation as the tracker reads it back. */
export interface ServedRecommendation {
  readonly id: number;
  readonly modelVersion: number | null;
  readonly abTestId: number | null;
  readonly arm: string | null;
  readonly predictedRating: number;
  readonly servedAt: number;
}

/** One tracked rating: what was served (null fields for an unexpected rating) and how it went. */
export interface QualityRecord {
  readonly userId: number;
  readonly movieId: number;
  readonly modelVersion: number | null;
  readonly abTestId: number | null;
  readonly arm: string | null;
  readonly unexpected: boolean;
  readonly predictedRating: number | null;
  readonly actualRating: number;
  readonly error: number | null;
  readonly likedPredicted: boolean | null;
  readonly likedActual: boolean;
  readonly hit: boolean | null;
  readonly servedAt: number | null;
  readonly ratedAt: number;
  readonly recordedAt: number;
}

/** Sums over a group of recommended (not unexpected) tracked ratings. */
export interface QualitySums {
  /** The group: a model version, arm, test id, movie id or day number; null for the whole range. */
  readonly key: string | number | null;
  readonly samples: number;
  readonly hits: number;
  /** Sum of |predicted − actual|; null without samples. */
  readonly errorSum: number | null;
}

/** A tracked rating as the reports read it back. */
export interface TrackedRow {
  readonly userId: number;
  readonly movieId: number;
  readonly rating: number;
  readonly ratedAt: number;
  readonly unexpected: boolean;
}

/** A column tracked ratings can be grouped by. */
export type QualityGroupColumn = 'model_version' | 'arm' | 'ab_test_id';

/**
 * Live ratings and their tracking: the rating entry point's writes (user, rating) and the
 * tracker's quality rows, with the sums live accuracy is computed from. Rating times are epoch
 * ms; ranges are inclusive. The contract suite is `quality-store.contract.ts`.
 */
/** One arm's validated ratings on one day of an A/B test. */
export interface ArmDayOutcome {
  readonly arm: string;
  /** Whole days since the epoch (UTC). */
  readonly day: number;
  /** Ratings the tracker validated against that arm's recommendations. */
  readonly n: number;
  /** Of those, how many it counted as hits. */
  readonly hits: number;
}

export interface QualityStore {
  /** A test's validated ratings per arm and day, oldest day first (the A/B timeline). */
  armDayOutcomes(testId: number): Promise<ArmDayOutcome[]>;
  movieExists(movieId: number): Promise<boolean>;
  /** Creates the user if new; true when it was created. */
  ensureUser(userId: number, now: number): Promise<boolean>;
  /** The user's current rating of the movie, or null. */
  currentRating(userId: number, movieId: number): Promise<number | null>;
  /** Stores a rating, replacing an earlier one of the same pair. */
  upsertRating(userId: number, movieId: number, rating: number, ratedAt: number): Promise<void>;
  /** The latest recommendation of the movie to the user served in [from, to]. */
  latestServed(
    userId: number,
    movieId: number,
    from: number,
    to: number,
  ): Promise<ServedRecommendation | undefined>;
  /** Writes a tracked rating; one row per (user, movie), a re-rating replaces it. */
  recordQuality(record: QualityRecord): Promise<void>;
  /** Sums of the recommended ratings rated in [from, to], optionally of one model version. */
  qualitySums(from: number, to: number, modelVersion?: number): Promise<QualitySums>;
  /**
   * Like qualitySums for one version, counting only established users' outcomes (see
   * `establishedClause`), with how many distinct users they come from.
   */
  establishedQualitySums(
    from: number,
    to: number,
    modelVersion: number,
    establishedMs: number,
  ): Promise<QualitySums & { readonly users: number }>;
  /** The same sums grouped by a column, ordered by it. */
  qualitySumsBy(column: QualityGroupColumn, from: number, to: number): Promise<QualitySums[]>;
  /** Sums per movie (key: movie id) with at least `minSamples` samples, worst accuracy first. */
  movieQualitySums(
    from: number,
    to: number,
    minSamples: number,
    modelVersion?: number,
  ): Promise<Array<QualitySums & { readonly title: string | null }>>;
  /** Sums per UTC day (key: days since the epoch), oldest first. */
  dailyQualitySums(from: number, to: number): Promise<QualitySums[]>;
  /** Every tracked rating rated in [since, until) (either end open when absent), by user, movie, time. */
  trackedRows(since?: number, until?: number): Promise<TrackedRow[]>;
  /** Ratings tracked in [from, to], and how many of them were unexpected. */
  trackedCounts(from: number, to: number): Promise<{ readonly tracked: number; readonly unexpected: number }>;
}
