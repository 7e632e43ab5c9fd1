import type { ImpactReport } from './impact-report.ts';
import { impactCharts, renderImpactHtml, renderImpactTerminal } from './impact-view.ts';
import type { StatusReport } from './status-report.ts';
import { renderStatusHtml, renderStatusTerminal, statusCharts } from './status-view.ts';
import type { TerminalOptions } from './terminal.ts';
import type { TuningReport } from './tuning-report.ts';
import { renderTuningHtml, renderTuningTerminal, tuningCharts } from './tuning-view.ts';
import type { UnexpectedMoviesReport } from './unexpected-movies-report.ts';
import {
  renderUnexpectedMoviesHtml,
  renderUnexpectedMoviesTerminal,
  unexpectedMoviesCharts,
} from './unexpected-movies-view.ts';

/** The plain data of each report, by name. */
export interface ReportData {
  readonly unexpected: UnexpectedMoviesReport;
  readonly impact: ImpactReport;
  readonly status: StatusReport;
  readonly tuning: TuningReport;
}

export type ReportKind = keyof ReportData;

/** The three renderings every report has. */
export interface ReportView<T> {
  readonly description: string;
  terminal(report: T, options: TerminalOptions): string;
  /** A self-contained HTML page. */
  html(report: T): string;
  /** The page's charts as SVG strings (for a dashboard that lays them out itself). */
  charts(report: T): string[];
}

/** Explicit name → renderers map (computing each report takes report-specific options). */
export const reportViews: { readonly [K in ReportKind]: ReportView<ReportData[K]> } = {
  unexpected: {
    description:
      'Ratings of movies never recommended to the rater: over time, share, how they differ, who brings them',
    terminal: renderUnexpectedMoviesTerminal,
    html: renderUnexpectedMoviesHtml,
    charts: unexpectedMoviesCharts,
  },
  impact: {
    description:
      'Ablation: the model trained with / without / down-weighted unexpected ratings, and their share halved / doubled',
    terminal: renderImpactTerminal,
    html: renderImpactHtml,
    charts: impactCharts,
  },
  status: {
    description: 'Deployment status: champion, challenger, A/B test, tracker, tuning, retraining, database',
    terminal: renderStatusTerminal,
    html: renderStatusHtml,
    charts: statusCharts,
  },
  tuning: {
    description:
      'A tuning run: optimisation history, best so far, parameter importance, parameters vs objective',
    terminal: renderTuningTerminal,
    html: renderTuningHtml,
    charts: tuningCharts,
  },
};

export const reportKinds = Object.keys(reportViews) as ReportKind[];
