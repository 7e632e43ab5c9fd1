/**
 * The `movienight` package: the library (data, models, metrics, evaluation, tuning, registry,
 * experiments, monitoring, retraining steps, reports). The application is published apart:
 * `movienight/server` (HTTP app, server, scheduler) and `movienight/cli` (the command line and the
 * simulation). Only what these three entry points export is promised; everything else under src/
 * is free to change. The exports are sorted by module path (the linter keeps them that way), so
 * they come grouped by folder; docs/architecture.md gives the order the folders build on and
 * docs/library.md shows each entry point in use.
 */

export * from './charts/index.ts';
export { type Config, configSchema, loadConfig } from './config.ts';
export { importMovieLens } from './data/import-movielens.ts';
export { importRatingsCsv } from './data/import-ratings-csv.ts';
export { loadMovies } from './data/load-movies.ts';
export { type LoadRatingsOptions, loadRatingsData } from './data/load-ratings.ts';
export { halfStarScale, likeThreshold, type RatingScale, wholeStarScale } from './data/rating-scale.ts';
export {
  type MovieInfo,
  type RatingsData,
  ratingsDataFrom,
  ratingsFingerprint,
  subsetRatings,
} from './data/ratings-data.ts';
export { readMovieLens } from './data/read-movielens.ts';
export {
  type DataSplit,
  kFoldSplits,
  materializeSplit,
  perUserHoldoutSplit,
  randomHoldoutSplit,
  temporalSplit,
} from './data/splits.ts';
export {
  createSyntheticWorld,
  type SyntheticWorld,
  type SyntheticWorldOptions,
} from './data/synthetic-world.ts';
export type { Database, Dialect, Queryable, SqlValue } from './db/database.ts';
export { latestSchemaVersion, migrate } from './db/migrate.ts';
export { defaultDatabaseLocation, openDatabase } from './db/open-database.ts';
export * from './errors.ts';
export { type CrossValidationResult, crossValidate } from './evaluation/cross-validate.ts';
export {
  type AbEvaluation,
  type AbTest,
  decideAbTest,
  evaluateAbTest,
  getRunningAbTest,
  startAbTest,
  stopAbTest,
} from './experiments/ab-tests.ts';
export { rankingMetrics } from './metrics/ranking-metrics.ts';
export {
  likedAccuracy,
  mae,
  majorityBaselineAccuracy,
  ratingMetrics,
  rmse,
} from './metrics/rating-metrics.ts';
export {
  createModel,
  loadModel,
  type ModelKind,
  type ModelParamsByKind,
  type ModelParamsFor,
  modelDescription,
  modelKinds,
} from './models/model-registry.ts';
export type {
  FitOptions,
  ModelParams,
  Prediction,
  RatingModel,
  Recommendation,
  RecommendOptions,
} from './models/rating-model.ts';
export type { ParamSpec as ModelParamSpec, ParamSpecs, ParamsOf } from './models/rating-model-base.ts';
export { detectDrift } from './monitoring/drift-detector.ts';
export { rateMovie } from './monitoring/rate-movie.ts';
export { checkForModelRevalidation } from './monitoring/revalidation-check.ts';
export { Rng } from './random/rng.ts';
export { serveRecommendations } from './recommend/serve-recommendations.ts';
export { recommendTopN, TopNRecommender } from './recommend/top-n.ts';
export { getActiveModelVersion } from './registry/active-model.ts';
export { activateVersion, aliasHistory, rollback } from './registry/aliases.ts';
export {
  getVersion,
  listVersions,
  type ModelVersion,
  pruneVersions,
  registerVersion,
} from './registry/model-versions.ts';
export * from './reports/index.ts';
export { runRetrain } from './retraining/retrain-orchestrator.ts';
export { revalidate } from './retraining/revalidate.ts';
export { trackStatus } from './retraining/track-status.ts';
export * from './tuning/index.ts';
