/**
 * The tuning module's public face (for src/index.ts and for the retrain): run or resume a
 * tuning run, the workflow, the review, best_hp.json, search spaces, samplers, the storages, and
 * `createStudy` to optimise any objective function.
 */
export { type BestHp, bestHpPathFor, readBestHp, writeBestHp } from './best-hp.ts';
export { defaultSearchSpace } from './default-spaces.ts';
export { MedianPruner, type MedianPrunerOptions } from './median-pruner.ts';
export { MemoryTuningStorage } from './memory-tuning-storage.ts';
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
export { BayesianSampler } from './samplers/bayesian-sampler.ts';
export { GridSampler } from './samplers/grid-sampler.ts';
export { RandomSampler } from './samplers/random-sampler.ts';
export { TpeSampler } from './samplers/tpe-sampler.ts';
export { type ParamSpec, readSearchSpace, type SearchSpace } from './search-space.ts';
export { SqlTuningStorage } from './sql-tuning-storage.ts';
export {
  createStudy,
  type Objective,
  type OptimizeOptions,
  Study,
  type StudyOptions,
  type StudySummary,
  type StudyTrial,
  TrialPruned,
} from './study.ts';
export type { RunStatus, Trial, TuningRun, TuningStorage } from './tuning-storage.ts';
export { runTuningWorkflow, type TuningWorkflowOptions, type TuningWorkflowResult } from './workflow.ts';
