import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableSnapshot as snapshot } from '../../test/fixtures/table-snapshot.ts';
import { runCliInProcess } from '../../test/helpers/cli.ts';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { temporaryFolders } from '../../test/helpers/temp-dirs.ts';
import { DataFormatError, InvalidInputError } from '../errors.ts';
import { importMovieLens } from './import-movielens.ts';
import { importRatingsCsv } from './import-ratings-csv.ts';
import { maxLineBytes } from './line-reader.ts';
import { parseRatingNumber } from './movielens-format.ts';
import { halfStarScale, isOnScale, wholeStarScale } from './rating-scale.ts';

const tempDir = temporaryFolders();

const fixtures = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

function csv(text: string | Buffer): string {
  const file = join(tempDir('mn-limits-'), 'ratings.csv');
  writeFileSync(file, text);
  return file;
}

describe('the rating number grammar and exact scale membership', () => {
  it('accepts digits with an optional fraction and nothing else', () => {
    for (const ok of ['4', '4.0', '3.5', '0.5', '04.50', '5.000000000000']) {
      expect(Number.isNaN(parseRatingNumber(ok)), ok).toBe(false);
    }
    for (const bad of [
      '+4',
      '-1',
      ' 4 ',
      '4 ',
      '.5',
      '4.',
      '4e0',
      '0x4',
      'Infinity',
      'NaN',
      '',
      '4..5',
      '٤',
    ]) {
      expect(parseRatingNumber(bad), JSON.stringify(bad)).toBeNaN();
    }
  });

  it('puts exactly 0.5, 1.0, …, 5.0 on the half-star scale and nothing near them', () => {
    const on = Array.from({ length: 10 }, (_, k) => 0.5 + k * 0.5);
    for (const r of on) expect(isOnScale(halfStarScale, r), String(r)).toBe(true);
    for (const r of [5.0000000001, 0.4999999999, 3.0000001, 4.25, 0, 5.5, Number.NaN]) {
      expect(isOnScale(halfStarScale, r), String(r)).toBe(false);
    }
    expect(isOnScale(wholeStarScale, 3.5)).toBe(false);
    for (const text of ['5.0000000001', '0.4999999999', '3.0000001', '5.00000000000000000001']) {
      expect(isOnScale(halfStarScale, parseRatingNumber(text)), text).toBe(false);
    }
  });
});

describeEachDatabase('import limits', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await kind.create();
    await importMovieLens(t.db, join(fixtures, 'ml-latest-tiny'));
  });
  afterAll(async () => t.drop());

  async function refused(file: string): Promise<DataFormatError | InvalidInputError> {
    const before = await snapshot(t.db);
    const error = await importRatingsCsv(t.db, file).catch((e: unknown) => e);
    expect(await snapshot(t.db)).toEqual(before);
    expect(error instanceof DataFormatError || error instanceof InvalidInputError).toBe(true);
    return error as DataFormatError | InvalidInputError;
  }

  for (const value of ['5.0000000001', '0.4999999999', '3.0000001', '+4', '0x4', ' 4 ', '.5', '4e0']) {
    it(`refuses the rating ${JSON.stringify(value)} and leaves the database as it was`, async () => {
      const error = await refused(csv(`user,movie,rating\n1,1,4\n1,2,${value}\n`));
      expect(error).toBeInstanceOf(DataFormatError);
      expect((error as DataFormatError).line).toBe(3);
    });
  }

  it('stops at the line length limit on a 128 MiB line, naming the line and quoting an excerpt', async () => {
    const line = Buffer.alloc(128 * 2 ** 20, 0x34);
    const file = csv(Buffer.concat([Buffer.from('user,movie,rating\n1,1,4\n1,1,'), line, Buffer.from('\n')]));
    const error = await refused(file).finally(() => rmSync(dirname(file), { recursive: true, force: true }));
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).line).toBe(3);
    expect(error.message).toContain(`longer than ${maxLineBytes} bytes`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('quotes at most a short excerpt of a long bad line', async () => {
    const error = await refused(csv(`user,movie,rating\n1,1,${'x'.repeat(50_000)}\n`));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('more characters');
  });

  it('refuses /dev/zero, a missing file and a folder with clear errors', async () => {
    const zero = await refused('/dev/zero');
    expect(zero.message).toContain('/dev/zero:1: line is longer than');
    expect((await refused('/nonexistent/ratings.csv')).message).toBe(
      '/nonexistent/ratings.csv does not exist',
    );
    const dir = tempDir('mn-limits-dir-');
    expect((await refused(dir)).message).toBe(`${dir} is a folder, not a file`);
  });
});

describe('movienight import errors', () => {
  it('prints one clear line, no stack, and exits non-zero for file and flag problems', async () => {
    const db = join(tempDir('mn-limits-cli-'), 'movies.db');
    const dir = tempDir('mn-limits-dir-');
    const runs = [
      ['import', 'ratings', '/nonexistent/ratings.csv'],
      ['import', 'ratings', dir],
      ['import', 'ratings', '/dev/zero'],
      ['import', 'ratings', join(fixtures, 'ratings-generic.csv'), '--encoding', 'utf16'],
    ];
    for (const args of runs) {
      const run = await runCliInProcess(['--db', db, ...args]);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(/^error: /);
      expect(run.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  });
});
