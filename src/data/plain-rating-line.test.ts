import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  movieLensRatingColumns,
  type ParsedRating,
  parseRatingFields,
  splitCsvLine,
} from './movielens-format.ts';
import { parsePlainRatingLine } from './plain-rating-line.ts';

const known = (id: number) => id % 7 !== 3;

/** What the full parser makes of `line`: the parsed values, or null for a refusal. */
function fullParse(line: string): ParsedRating | null {
  const out: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
  return parseRatingFields(splitCsvLine(line), line, movieLensRatingColumns, known, out) ? null : out;
}

/** Lines near the plain form: digits, dots, commas and now and then a sign, space, quote or letter. */
const nearlyPlainLine = fc
  .array(fc.constantFrom(...'0123456789', '0', '1', '5', ',', ',', '.', '-', '+', ' ', '"', 'e', '\r'), {
    minLength: 0,
    maxLength: 40,
  })
  .map((chars) => chars.join(''));

/** Well-formed plain lines in every spelling the fast path is meant to take. */
const plainLine = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.integer({ min: 0, max: 60 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 999_999_999_999 }),
  )
  .map(([u, m, r, dotted, t]) => {
    const rating = dotted ? `${Math.floor(r / 10)}.${r % 10}` : `${r}`;
    return `${u},${m},${rating},${t}`;
  });

describe('the plain ratings line fast path', () => {
  it('accepts a line only when the full parser accepts it, with the same values', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyPlainLine, plainLine), (line) => {
        const out: ParsedRating = { user: -1, movie: -1, rating: -1, ratedAt: -1 };
        if (parsePlainRatingLine(line, known, out)) expect(out).toEqual(fullParse(line));
      }),
      { seed: 20261203, numRuns: 20_000 },
    );
  });

  it('takes every well-formed plain line the full parser accepts', () => {
    let taken = 0;
    fc.assert(
      fc.property(plainLine, (line) => {
        const full = fullParse(line);
        const out: ParsedRating = { user: -1, movie: -1, rating: -1, ratedAt: -1 };
        expect(parsePlainRatingLine(line, known, out)).toBe(full !== null);
        if (full) taken++;
      }),
      { seed: 7, numRuns: 5_000 },
    );
    expect(taken).toBeGreaterThan(500);
    const out: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
    expect(parsePlainRatingLine('1,32,2.5,1260759144', known, out)).toBe(true);
    expect(out).toEqual({ user: 1, movie: 32, rating: 2.5, ratedAt: 1260759144000 });
    // Refused by the full parser (off the scale, unknown movie) or spelled otherwise: not taken.
    for (const line of ['1,32,5.5,1', '1,3,4,1', '1,32,4.50,1', '1,32,"4",1', '1,32,4,', '1,32,4.,1']) {
      expect(parsePlainRatingLine(line, known, out)).toBe(false);
    }
  });
});
