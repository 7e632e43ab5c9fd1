import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { NumericColumn } from './database.ts';

/** Rows per text chunk handed to the COPY stream: about 100–200 KiB, so memory stays flat. */
const rowsPerChunk = 4096;

/** The rows as COPY text format chunks: tab between columns, newline after each row. */
function* copyChunks(columns: readonly NumericColumn[], count: number): Generator<string> {
  const values = columns.map((c) => c.values);
  const last = values.length - 1;
  for (let start = 0; start < count; start += rowsPerChunk) {
    const end = Math.min(count, start + rowsPerChunk);
    let text = '';
    for (let i = start; i < end; i++) {
      for (let c = 0; c <= last; c++) {
        text += String(values[c]![i]);
        text += c === last ? '\n' : '\t';
      }
    }
    yield text;
  }
}

/** Runs `fn` on the client, or on a client borrowed from the pool for the duration. */
async function withClient<T>(
  client: pg.Pool | pg.PoolClient,
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  if (!('release' in client)) {
    const borrowed = await client.connect();
    try {
      return await fn(borrowed);
    } finally {
      borrowed.release();
    }
  }
  return fn(client);
}

/** `COPY table (columns) FROM STDIN`, fed chunk by chunk with back-pressure. */
export function copyColumnsInto(
  client: pg.Pool | pg.PoolClient,
  table: string,
  columns: readonly NumericColumn[],
  count: number,
): Promise<number> {
  if (count === 0) return Promise.resolve(0);
  return withClient(client, async (c) => {
    const sink = c.query(copyFrom(`COPY ${table} (${columns.map((col) => col.name).join(', ')}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(columns, count)), sink);
    return sink.rowCount;
  });
}

/** `?` placeholders replaced by the numbers themselves: COPY takes no bound parameters. */
function inlineNumbers(sql: string, params: readonly number[]): string {
  let next = 0;
  const out = sql.replace(/\?/g, () => {
    const v = params[next++];
    if (v === undefined || !Number.isFinite(v)) {
      throw new Error(`scanNumbers: parameter ${next} must be a finite number, got ${v}`);
    }
    return String(v);
  });
  if (next !== params.length)
    throw new Error(`scanNumbers: ${params.length} parameters for ${next} placeholders`);
  return out;
}

/**
 * Parses COPY's text output as it arrives: one field at a time straight from the character codes
 * (digits, sign, one decimal point), falling back to `Number` for anything else (exponents).
 */
class CopyTextParser {
  private readonly row = new Float64Array(16);
  /** The row cut to the query's width, made once at the end of the first row. */
  private view: Float64Array | null = null;
  private column = 0;
  private field = '';
  rows = 0;
  constructor(private readonly onRow: (row: Float64Array) => void) {}

  push(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 9 && ch !== 10) continue;
      this.endField(this.field + text.slice(start, i), ch === 10);
      this.field = '';
      start = i + 1;
    }
    this.field += text.slice(start);
  }

  private endField(field: string, endOfRow: boolean): void {
    if (this.column >= this.row.length) throw new Error('scanNumbers: more than 16 columns');
    const value = Number(field);
    if (field === '\\N' || Number.isNaN(value)) throw new Error(`scanNumbers: not a number: ${field}`);
    this.row[this.column++] = value;
    if (endOfRow) {
      if (this.view?.length !== this.column) this.view = this.row.subarray(0, this.column);
      this.onRow(this.view);
      this.column = 0;
      this.rows += 1;
    }
  }
}

/** `COPY (query) TO STDOUT`: every row's numbers through one reused array. */
export function scanNumbersByCopy(
  client: pg.Pool | pg.PoolClient,
  sql: string,
  params: readonly number[],
  onRow: (row: Float64Array) => void,
): Promise<number> {
  return withClient(client, async (c) => {
    const source = c.query(copyTo(`COPY (${inlineNumbers(sql, params)}) TO STDOUT`));
    const parser = new CopyTextParser(onRow);
    source.setEncoding('latin1');
    for await (const chunk of source) parser.push(chunk as string);
    return parser.rows;
  });
}
