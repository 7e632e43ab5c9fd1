import { coreSchema } from './001-core-schema.ts';
import { tuningSchema } from './003-tuning.ts';
import { modelRegistrySchema } from './004-model-registry.ts';
import { retrainingSchema } from './005-retraining.ts';
import { accountsAndSessions } from './006-accounts-and-sessions.ts';
import { ratingsUserHistory } from './007-ratings-user-history.ts';
import { lighterServedIndexes } from './008-lighter-served-indexes.ts';
import { propensitiesAndInterleaving } from './009-propensities-and-interleaving.ts';
import { hardening } from './010-hardening.ts';
import { interleavingSharedMovies } from './011-interleaving-shared-movies.ts';
import { trialFidelity } from './015-trial-fidelity.ts';
import { ratingsLayout } from './016-ratings-layout.ts';
import { trialEpochShare } from './017-trial-epoch-share.ts';
import type { Migration } from './migration.ts';

/**
 * Every migration, in order. Explicit (no discovery by file name) so that a missing import is a
 * type error, not a silently skipped step. Numbers are never reused or reordered.
 */
export const migrations: readonly Migration[] = [
  coreSchema,
  tuningSchema,
  modelRegistrySchema,
  retrainingSchema,
  accountsAndSessions,
  ratingsUserHistory,
  lighterServedIndexes,
  propensitiesAndInterleaving,
  hardening,
  interleavingSharedMovies,
  trialFidelity,
  ratingsLayout,
  trialEpochShare,
];
