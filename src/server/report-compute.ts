import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { impactReport } from '../reports/impact-report.ts';
import { type ReportData, type ReportKind, reportViews } from '../reports/report-registry.ts';
import { statusReport } from '../reports/status-report.ts';
import { tuningReport } from '../reports/tuning-report.ts';
import { type UnexpectedSource, unexpectedMoviesReport } from '../reports/unexpected-movies-report.ts';
import { bestHpPathFor } from '../tuning/best-hp.ts';

/** A report's options as the query string gives them; each report reads the ones that concern it. */
export interface ReportQuery {
  readonly run?: string | undefined;
  readonly source?: UnexpectedSource | undefined;
  readonly top?: number | undefined;
  readonly model?: string | undefined;
  readonly scenarios?: 'true' | 'false' | undefined;
  readonly seed?: number | undefined;
}

/** What a report request asks for: the plain data, the charts as SVG strings, or the HTML page. */
export type ReportRender = 'data' | 'charts' | 'html';

/** Everything a report needs besides the database; plain data, so it can cross to a worker. */
export interface ReportRequest {
  readonly kind: ReportKind;
  readonly query: ReportQuery;
  readonly render: ReportRender;
  readonly now: number;
  readonly config: Config;
}

/** Computes one report's plain data (the report functions), with the server's config and clock. */
async function reportData(db: Database, request: ReportRequest): Promise<unknown> {
  const { kind, query, now, config } = request;
  switch (kind) {
    case 'status':
      return statusReport(db, {
        now,
        config,
        ...(db.file === null ? {} : { bestHpPath: bestHpPathFor(db.file) }),
      });
    case 'tuning':
      return tuningReport(db, { now, ...(query.run ? { runId: query.run } : {}) });
    case 'unexpected':
      return unexpectedMoviesReport(db, {
        now,
        ...(query.source ? { source: query.source } : {}),
        ...(query.top ? { top: query.top } : {}),
        ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
      });
    default:
      return impactReport(db, {
        now,
        scenarios: query.scenarios === 'true',
        ...(query.model ? { kind: query.model } : {}),
        ...(query.seed === undefined ? {} : { seed: query.seed }),
      });
  }
}

/** The report as asked: its data, its charts (SVG strings) or its HTML page. */
export async function computeReport(db: Database, request: ReportRequest): Promise<unknown> {
  const data = (await reportData(db, request)) as ReportData[ReportKind];
  const view = reportViews[request.kind] as {
    charts(report: unknown): string[];
    html(report: unknown): string;
  };
  if (request.render === 'charts') return { kind: request.kind, charts: view.charts(data) };
  if (request.render === 'html') return view.html(data);
  return data;
}
