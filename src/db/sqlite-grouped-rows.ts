/**
 * Rows from one group of a grouped SQLite scan: `key` is the group's first column and `text` the
 * other columns of each of its rows, every value joined by commas, as SQLite renders numbers as
 * text (integers as digits; reals so that they read back exactly: "4.0", "-0.5",
 * "0.30000000000000004", "1.0e+20"). Each row goes to `onRow` through the reused `row` (its width
 * is the query's); returns the number of rows.
 */
export function emitGroupedRows(
  key: number,
  text: string,
  row: Float64Array,
  onRow: (row: Float64Array) => void,
): number {
  const width = row.length;
  const n = text.length;
  let column = 1;
  let rows = 0;
  let start = 0;
  for (let p = 0; p <= n; p++) {
    if (p < n && text.charCodeAt(p) !== 44) continue;
    row[column++] = fieldValue(text, start, p);
    start = p + 1;
    if (column === width) {
      row[0] = key;
      onRow(row);
      rows += 1;
      column = 1;
    }
  }
  if (column !== 1) throw new Error(`scanNumbers: group ${key} ended inside a row: ${text.slice(-80)}`);
  return rows;
}

/**
 * The number text[start…end): straight from the character codes for an optional minus, at most
 * 15 digits and one decimal point (the digits as an integer below 2^53 divided by an exact power of
 * ten: the correctly rounded value, as `Number` gives); `Number` for anything else (exponents,
 * more digits).
 */
function fieldValue(text: string, start: number, end: number): number {
  let p = start;
  const negative = text.charCodeAt(p) === 45;
  if (negative) p++;
  let mantissa = 0;
  let digits = 0;
  let divisor = 1;
  let point = false;
  for (; p < end; p++) {
    const c = text.charCodeAt(p);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (point) divisor *= 10;
    } else if (c === 46 && !point) point = true;
    else return slowField(text, start, end);
  }
  if (digits === 0 || digits > 15) return slowField(text, start, end);
  const value = mantissa / divisor;
  return negative ? -value : value;
}

function slowField(text: string, start: number, end: number): number {
  const field = text.slice(start, end);
  const value = field === '' ? Number.NaN : Number(field);
  if (Number.isNaN(value)) throw new Error(`scanNumbers: not a number: ${JSON.stringify(field)}`);
  return value;
}
