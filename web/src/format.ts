/** Numbers and dates in the visitor's own locale (separators, decimal marks, date order). */
const integer = new Intl.NumberFormat(undefined);
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** "1 rating", "60,000 ratings". */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}

/** A rating or average with one decimal, or a dash for none. */
export function formatRating(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : oneDecimal.format(value);
}

export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : percent.format(value);
}

export function formatDate(ms: number | null | undefined): string {
  return ms ? date.format(ms) : '–';
}

export function formatDateTime(ms: number | null | undefined): string {
  return ms ? dateTime.format(ms) : '–';
}
