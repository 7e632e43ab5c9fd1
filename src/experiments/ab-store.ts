import type { AbAnalysis, AbPolicy, ArmCounts } from './ab-analysis.ts';
import type { Arm } from './assignment.ts';
import type { AbTestMethod } from './interleaving.ts';

export type AbTestStatus = 'running' | 'completed' | 'stopped';
export type AbDecision = 'activated' | 'discarded' | 'stopped';

/** An A/B test as stored. Once it is no longer running it never changes. */
export interface AbTest {
  readonly id: number;
  readonly championVersion: number;
  readonly challengerVersion: number;
  /** `ab`: users split between the arms; `interleave`: every user sees a team-draft list. */
  readonly method: AbTestMethod;
  /** Share of users sent to the challenger (1 for interleaving: everyone sees both). */
  readonly traffic: number;
  readonly minSamples: number;
  readonly maxDays: number;
  readonly status: AbTestStatus;
  readonly decision: AbDecision | null;
  readonly decisionReason: string | null;
  /** The policy fixed at start (thresholds, α, τ). */
  readonly policy: AbPolicy;
  /** The analysis the decision was taken on (null while running). */
  readonly finalAnalysis: AbAnalysis | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

/** A test to start: it is stored as running. */
export interface NewAbTest {
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly method: AbTestMethod;
  readonly traffic: number;
  readonly policy: AbPolicy;
  readonly startedAt: number;
}

/** How a running test ends: its decision, why, and the analysis it was taken on. */
export interface AbTestEnd {
  readonly decision: AbDecision;
  readonly reason: string;
  readonly analysis: AbAnalysis;
  readonly endedAt: number;
}

/**
 * The storage of A/B tests and the counts their statistics come from (served recommendations and
 * the tracker's outcomes, per arm). At most one test runs at a time, across processes: `insert`
 * of a second running test fails. The contract suite is `ab-store.contract.ts`.
 */
export interface AbStore {
  /** Stores a running test and returns its id. */
  insert(test: NewAbTest): Promise<number>;
  get(id: number): Promise<AbTest | undefined>;
  /** The running test, if any. */
  running(): Promise<AbTest | undefined>;
  /** Every test, newest first. */
  list(): Promise<AbTest[]>;
  /** Ends a running test; false when it was no longer running (nothing changed). */
  end(test: AbTest, end: AbTestEnd): Promise<boolean>;
  /** Each arm's served users and rows and its rated outcomes' sums. */
  armCounts(testId: number): Promise<Record<Arm, ArmCounts>>;
}
