import type { Queryable } from '../db/database.ts';
import { type CountedTable, countedTables, type ReportStore, type RetrainCounts } from './report-store.ts';

/** The reports' read-only SQL. */
export class SqlReportStore implements ReportStore {
  constructor(private readonly db: Queryable) {}

  async rowCounts(tables: readonly CountedTable[]): Promise<Record<CountedTable, number>> {
    const out = {} as Record<CountedTable, number>;
    for (const table of tables) {
      // Table names are interpolated, so only the fixed list may reach the SQL.
      if (!countedTables.includes(table)) throw new Error(`not a counted table: ${table}`);
      const r = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      out[table] = r?.n ?? 0;
    }
    return out;
  }

  async schemaVersion(): Promise<number> {
    const row = await this.db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
    return row?.v ?? 0;
  }

  async ratingsPerMovie(): Promise<Map<number, number>> {
    const rows = await this.db.all<{ m: number; n: number }>(
      'SELECT movie_id AS m, COUNT(*) AS n FROM ratings GROUP BY movie_id',
    );
    return new Map(rows.map((r) => [r.m, r.n]));
  }

  async unexpectedTracked(): Promise<number> {
    const row = await this.db.get<{ n: number | null }>(
      'SELECT SUM(unexpected) AS n FROM recommendation_quality',
    );
    return row?.n ?? 0;
  }

  async retrainCounts(): Promise<RetrainCounts> {
    const row = await this.db.get<{ auto: number | null; ok: number | null }>(
      `SELECT SUM(CASE WHEN source = 'auto' THEN 1 ELSE 0 END) AS auto,
         SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS ok FROM retrain_triggers`,
    );
    return { autoTriggers: row?.auto ?? 0, succeeded: row?.ok ?? 0 };
  }
}

/** The report store over a connection. */
export function reportStore(db: Queryable): ReportStore {
  return new SqlReportStore(db);
}
