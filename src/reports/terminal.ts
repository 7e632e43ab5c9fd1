/**
 * Terminal rendering helpers. On a TTY reports add small unicode charts (sparklines, bars);
 * otherwise (a pipe, a file, CI logs) they print plain aligned tables only, which diff and grep
 * well.
 */
export interface TerminalOptions {
  /** Draw sparklines and bars (stdout is a terminal). */
  readonly tty: boolean;
}

/** Columns aligned with spaces; numbers right-aligned (by `align`, or guessed from the cells). */
export function textTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  align?: readonly ('l' | 'r')[],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const right = headers.map(
    (_, c) =>
      (align?.[c] ??
        (rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+\s*%?$|^–$/.test((r[c] ?? '').trim()))
          ? 'r'
          : 'l')) === 'r',
  );
  const fmt = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)]
    .map((l) => `  ${l}`)
    .join('\n');
}

const ticks = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the smallest and largest finite value; gaps as spaces. */
export function sparkline(values: readonly (number | null)[], range?: readonly [number, number]): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return '';
  const lo = range?.[0] ?? Math.min(...finite);
  const hi = range?.[1] ?? Math.max(...finite);
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      const f = hi === lo ? 0.5 : (v - lo) / (hi - lo);
      return ticks[Math.max(0, Math.min(7, Math.round(f * 7)))]!;
    })
    .join('');
}

/** At most `width` values: means of consecutive groups, so a long series still fits one line. */
export function squeeze(values: readonly (number | null)[], width: number): (number | null)[] {
  if (values.length <= width) return [...values];
  const out: (number | null)[] = [];
  for (let k = 0; k < width; k++) {
    const part = values
      .slice(Math.floor((k * values.length) / width), Math.floor(((k + 1) * values.length) / width))
      .filter((v): v is number => v !== null && Number.isFinite(v));
    out.push(part.length ? part.reduce((s, v) => s + v, 0) / part.length : null);
  }
  return out;
}

const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `value / max` × `width` cells, with eighth-cell resolution. */
export function bar(value: number, max: number, width = 30): string {
  if (!(max > 0) || !Number.isFinite(value) || value <= 0) return '';
  const cells = Math.min(width, (value / max) * width);
  const full = Math.floor(cells);
  return '█'.repeat(full) + eighths[Math.round((cells - full) * 8) % 8]!;
}

export function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${(100 * value).toFixed(digits)} %`;
}

export function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}

/** A signed difference, e.g. "+0.0123" / "−0.0040". */
export function delta(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** "3 d 4 h", "5 h 2 min", "40 s". */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function heading(text: string): string {
  return `\n${text}\n${'═'.repeat(Math.min(78, text.length))}`;
}
