/**
 * Reports: each computed once as plain data (`…Report(db, options)`), then drawn by the terminal
 * renderer, the HTML page renderer, or the web dashboard from the same chart functions.
 */
export { type ClassifiedRatings, loadClassifiedRatings } from './classified-ratings.ts';
export { htmlPage } from './html-page.ts';
export {
  type ImpactArm,
  type ImpactOptions,
  type ImpactReport,
  impactReport,
  trainingFlowCounts,
} from './impact-report.ts';
export { impactCharts, renderImpactHtml, renderImpactTerminal, trainingFlowChart } from './impact-view.ts';
export { type ReportKind, reportKinds, reportViews } from './report-registry.ts';
export { type StatusOptions, type StatusReport, statusReport } from './status-report.ts';
export {
  renderStatusHtml,
  renderStatusTerminal,
  type StatusChartSet,
  statusChartSet,
  statusCharts,
} from './status-view.ts';
export { type TuningReport, type TuningReportOptions, tuningReport } from './tuning-report.ts';
export {
  learningCurves,
  parameterCharts,
  renderTuningHtml,
  renderTuningTerminal,
  tuningCharts,
} from './tuning-view.ts';
export {
  type UnexpectedMoviesOptions,
  type UnexpectedMoviesReport,
  type UnexpectedSource,
  unexpectedMoviesReport,
  unexpectedSources,
} from './unexpected-movies-report.ts';
export {
  renderUnexpectedMoviesHtml,
  renderUnexpectedMoviesTerminal,
  unexpectedMoviesCharts,
} from './unexpected-movies-view.ts';
