import type { Queryable } from '../db/database.ts';
import { getRunningAbTest } from '../experiments/ab-tests.ts';
import { championRecord } from '../registry/champion.ts';
import { reportStore } from './sql-report-store.ts';

/** The numbers on the arrows of the training data flow chart. */
export interface TrainingFlowCounts {
  readonly ratings: number;
  readonly unexpectedRatings: number;
  readonly served: number;
  readonly tracked: number;
  readonly trackedUnexpected: number;
  readonly versions: number;
  readonly championVersion: number | null;
  readonly championTrainRows: number | null;
  readonly abTests: number;
  readonly abTestsRunning: number;
}

/** The numbers on the arrows of the training data flow: rating → tracker → training set → version → A/B. */
export async function trainingFlowCounts(
  db: Queryable,
  unexpectedRatings: number,
): Promise<TrainingFlowCounts> {
  const champion = await championRecord(db);
  const store = reportStore(db);
  const rows = await store.rowCounts([
    'ratings',
    'served_recommendations',
    'recommendation_quality',
    'model_versions',
    'ab_tests',
  ]);
  return {
    ratings: rows.ratings,
    unexpectedRatings,
    served: rows.served_recommendations,
    tracked: rows.recommendation_quality,
    trackedUnexpected: await store.unexpectedTracked(),
    versions: rows.model_versions,
    championVersion: champion?.version ?? null,
    championTrainRows: champion?.training.rows ?? null,
    abTests: rows.ab_tests,
    abTestsRunning: (await getRunningAbTest(db)) ? 1 : 0,
  };
}
