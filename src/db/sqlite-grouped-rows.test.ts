import { describe, expect, it } from 'vitest';
import { emitGroupedRows } from './sqlite-grouped-rows.ts';

function rowsOf(key: number, text: string, width: number): number[][] {
  const out: number[][] = [];
  const n = emitGroupedRows(key, text, new Float64Array(width), (row) => out.push([...row]));
  expect(n).toBe(out.length);
  return out;
}

describe('a grouped scan row of text', () => {
  it('reads every number as Number would, row by row after the key', () => {
    const values = [
      '4.0',
      '-0.5',
      '0.30000000000000004',
      '1.0e+20',
      '2.5e-07',
      '1796300000000',
      '7',
      '0.33333333333333331',
    ];
    const got = rowsOf(9, values.join(','), 3);
    expect(got).toEqual([
      [9, 4, -0.5],
      [9, 0.30000000000000004, 1e20],
      [9, 2.5e-7, 1796300000000],
      [9, 7, 0.3333333333333333],
    ]);
  });

  it('reads one-value rows and a single row', () => {
    expect(rowsOf(2, '3,4,5', 2)).toEqual([
      [2, 3],
      [2, 4],
      [2, 5],
    ]);
    expect(rowsOf(1, '12.25,8', 3)).toEqual([[1, 12.25, 8]]);
  });

  it('names a text that is not numbers, or ends inside a row', () => {
    expect(() => rowsOf(1, '1,x', 3)).toThrow(/not a number: "x"/);
    expect(() => rowsOf(1, '1,,2', 3)).toThrow(/not a number: ""/);
    expect(() => rowsOf(4, '1,2,3', 3)).toThrow(/group 4 ended inside a row/);
  });
});
