import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMovieLens } from '../../src/data/import-movielens.ts';
import { importRatingsCsv } from '../../src/data/import-ratings-csv.ts';
import {
  movieLensRatingColumns,
  type ParsedRating,
  parseRatingFields,
  splitCsvLine,
} from '../../src/data/movielens-format.ts';
import { DataFormatError } from '../../src/errors.ts';
import { tableSnapshot } from '../fixtures/table-snapshot.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';

/**
 * Property tests of the rating importers. Each generated line is built from fields whose validity
 * the generator knows by construction (never by asking the parser): a valid id, rating or
 * timestamp in one of its accepted spellings, or one of the refused forms the import grammar in
 * docs/data.md names. A file is then either imported exactly (its rows, the last line of a pair
 * winning) or refused at its first bad line with the database unchanged.
 */

const fixtures = resolve(import.meta.dirname, '..', 'fixtures');
const knownMovies = [1, 2, 3, 4, 5]; // ml-latest-tiny's catalogue
const seed = 20261203;

interface Field {
  readonly text: string;
  readonly ok: boolean;
}
interface GeneratedLine {
  readonly text: string;
  /** The row it stands for, null when it must be refused, 'blank' for a blank line (skipped). */
  readonly row: { user: number; movie: number; rating: number; ratedAt: number } | null | 'blank';
}

const quoteSometimes = (text: string) =>
  fc.boolean().map((q) => (q && !text.includes('"') ? `"${text}"` : text));

const badNumbers = ['+3', '-1', ' 3', '3 ', '3.0', '.5', '3e0', '0x3', '', 'x', 'Infinity', '١'];

const userField = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.integer({ min: 1, max: 20 }).map((u) => ({ value: u, text: String(u), ok: true })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 20 }).map((u) => ({ value: u, text: `00${u}`, ok: true })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...badNumbers, '99999999999').map((text) => ({ value: 0, text, ok: false })),
  },
);
const movieField = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(...knownMovies).map((m) => ({ value: m, text: String(m), ok: true })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 6, max: 40 }).map((m) => ({ value: m, text: String(m), ok: false })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...badNumbers).map((text) => ({ value: 0, text, ok: false })) },
);
const halfStars = Array.from({ length: 10 }, (_, k) => 0.5 + k * 0.5);
const ratingField = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...halfStars), fc.constantFrom('', '0', '00', 'lead'))
      .map(([r, pad]) => {
        const plain = Number.isInteger(r) && pad !== '' && pad !== 'lead' ? `${r}.${pad}` : String(r);
        return { value: r, text: pad === 'lead' ? `0${plain}` : plain, ok: true };
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '5.0000000001',
        '0.4999999999',
        '3.0000001',
        '5.00000000000000000001',
        '5.5',
        '0',
        '3.25',
        '+4',
        '.5',
        '4.',
        '4e0',
        '0x4',
        ' 4 ',
        '',
        'good',
        'NaN',
      )
      .map((text) => ({ value: 0, text, ok: false })),
  },
);
const timeField = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .integer({ min: 0, max: 2_000_000_000 })
      .map((s) => ({ value: s, text: String(s), ok: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('-1', '1.5', '1e9', '', ' 1', '1234567890123')
      .map((text) => ({ value: 0, text, ok: false })),
  },
);

const lineArb: fc.Arbitrary<GeneratedLine> = fc
  .tuple(
    userField,
    movieField,
    ratingField,
    timeField,
    fc.constantFrom('ok', 'ok', 'ok', 'ok', 'short', 'long'),
  )
  .chain(([u, m, r, t, shape]) =>
    fc
      .tuple(quoteSometimes(u.text), quoteSometimes(m.text), quoteSometimes(r.text), quoteSometimes(t.text))
      .map((texts): GeneratedLine => {
        const fields: Field[] = [u, m, r, t].map((f, i) => ({ text: texts[i]!, ok: f.ok }));
        if (shape === 'short')
          return {
            text: fields
              .slice(0, 3)
              .map((f) => f.text)
              .join(','),
            row: null,
          };
        if (shape === 'long') return { text: `${fields.map((f) => f.text).join(',')},1`, row: null };
        const ok = fields.every((f) => f.ok);
        return {
          text: fields.map((f) => f.text).join(','),
          row: ok ? { user: u.value, movie: m.value, rating: r.value, ratedAt: t.value * 1000 } : null,
        };
      }),
  );

/** A blank line: skipped, neither a row nor a refusal. */
const blankLine = fc.constant<GeneratedLine>({ text: '', row: 'blank' });

describe('rating line parser (property)', () => {
  it('accepts exactly the lines built from valid fields, with their values', () => {
    const parsed: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
    const known = (id: number) => knownMovies.includes(id);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(lineArb, (line) => {
        const bad = parseRatingFields(
          splitCsvLine(line.text),
          line.text,
          movieLensRatingColumns,
          known,
          parsed,
        );
        const row = line.row;
        if (row === null || row === 'blank') {
          refused += 1;
          return bad !== null;
        }
        accepted += 1;
        return (
          bad === null &&
          parsed.user === row.user &&
          parsed.movie === row.movie &&
          parsed.rating === row.rating &&
          parsed.ratedAt === row.ratedAt
        );
      }),
      { seed, numRuns: 20_000 },
    );
    console.log(
      `rating line parser: ${accepted + refused} generated lines, ${accepted} accepted, ${refused} refused`,
    );
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});

type Model = Map<string, { rating: number; rated_at: number }>;

async function ratingsOf(t: TestDatabase): Promise<Model> {
  const rows = await t.db.all<{ user_id: number; movie_id: number; rating: number; rated_at: number }>(
    'SELECT user_id, movie_id, rating, rated_at FROM ratings',
  );
  return new Map(rows.map((r) => [`${r.user_id}:${r.movie_id}`, { rating: r.rating, rated_at: r.rated_at }]));
}

/** Files per database kind: each is an import into a database, so far fewer than parsed lines. */
const filesPerKind = Number(process.env.MOVIENIGHT_PROPERTY_FILES ?? 300);

/** Writes the data lines as the importer's input and imports it; resolves to the summary or the error. */
type ImportLines = (dir: string, n: number, body: string, skipInvalid: boolean) => Promise<unknown>;

const movieLensMovies = readFileSync(join(fixtures, 'ml-latest-tiny', 'movies.csv'));

const importers: ReadonlyArray<{ name: string; files: number; run: (t: TestDatabase) => ImportLines }> = [
  {
    name: 'import ratings',
    files: filesPerKind,
    run: (t) => (dir, n, body, skipInvalid) => {
      const file = join(dir, `f${n}.csv`);
      writeFileSync(file, `user,movie,rating,timestamp\n${body}`);
      return importRatingsCsv(t.db, file, { skipInvalid }).catch((e: unknown) => e);
    },
  },
  {
    name: 'import movielens',
    files: Math.ceil(filesPerKind / 2),
    run: (t) => (dir, n, body, skipInvalid) => {
      const folder = join(dir, `ml${n}`);
      mkdirSync(folder);
      writeFileSync(join(folder, 'movies.csv'), movieLensMovies);
      writeFileSync(join(folder, 'ratings.csv'), `userId,movieId,rating,timestamp\n${body}`);
      return importMovieLens(t.db, folder, { skipInvalid }).catch((e: unknown) => e);
    },
  },
];

describeEachDatabase('importers (property)', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await kind.create();
    dir = mkdtempSync(join(tmpdir(), 'mn-import-property-'));
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const importer of importers) {
    it(`${importer.name}: imports exactly the valid rows of a file, or refuses it at its first bad line and changes nothing`, async () => {
      const importLines = importer.run(t);
      const model: Model = await ratingsOf(t);
      const counts = { files: 0, lines: 0, imported: 0, refused: 0, skipped: 0 };
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof({ weight: 12, arbitrary: lineArb }, { weight: 1, arbitrary: blankLine }), {
            maxLength: 40,
            size: 'medium',
          }),
          fc.boolean(),
          async (lines, skipInvalid) => {
            counts.files += 1;
            counts.lines += lines.length;
            const firstBad = lines.findIndex((l) => l.row === null);
            const before = firstBad >= 0 && !skipInvalid ? await tableSnapshot(t.db) : null;
            const body = lines.map((l) => `${l.text}\n`).join('');
            const outcome = await importLines(dir, n++, body, skipInvalid);
            if (before !== null) {
              counts.refused += 1;
              expect(outcome).toBeInstanceOf(DataFormatError);
              expect((outcome as DataFormatError).line).toBe(firstBad + 2);
              expect(await tableSnapshot(t.db)).toEqual(before);
              return;
            }
            if (outcome instanceof Error) throw outcome;
            counts.imported += 1;
            for (const l of lines) {
              if (l.row === null) counts.skipped += 1;
              else if (l.row !== 'blank')
                model.set(`${l.row.user}:${l.row.movie}`, { rating: l.row.rating, rated_at: l.row.ratedAt });
            }
            expect(await ratingsOf(t)).toEqual(model);
          },
        ),
        { seed, numRuns: importer.files },
      );
      console.log(
        `${importer.name} (${kind.name}): ${counts.files} generated files, ${counts.lines} lines; ${counts.imported} imported (${counts.skipped} bad lines skipped), ${counts.refused} refused unchanged`,
      );
      expect(counts.imported).toBeGreaterThan(10);
      expect(counts.refused).toBeGreaterThan(10);
    });
  }
});
