/**
 * The tuning module's public face (for src/index.ts and for the retrain): run or resume a
 * tuning run, the workflow, the review, best_hp.json, search spaces and the storage.
 */
export { type BestHp, bestHpPathFor, readBestHp, writeBestHp } from './best-hp.ts';
export { defaultSearchSpace } from './default-spaces.ts';
export { MedianPruner } from './median-pruner.ts';
export { type ObjectiveMetric, objectiveDirection, objectiveMetrics } from './objective.ts';
export { type ReviewOptions, reviewTuning, type TuningReview } from './review.ts';
export {
  type RunTuningOptions,
  runTuning,
  type TuningProgress,
  type TuningResult,
} from './run-tuning.ts';
export type { Direction, SampleContext, Sampler, TrialState } from './sampler.ts';
export { createSampler, defaultTrialCounts, type TuningMethod, tuningMethods } from './sampler-registry.ts';
export { type ParamSpec, readSearchSpace, type SearchSpace } from './search-space.ts';
export { SqlTuningStorage } from './sql-tuning-storage.ts';
export type { RunStatus, Trial, TuningRun, TuningStorage } from './tuning-storage.ts';
export { runTuningWorkflow, type TuningWorkflowOptions, type TuningWorkflowResult } from './workflow.ts';
