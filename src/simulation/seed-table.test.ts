import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { parseSeedList, renderSeedTable, simulateSeeds } from './seed-table.ts';

describe('parseSeedList', () => {
  it('reads single seeds and inclusive ranges in order', () => {
    expect(parseSeedList('42')).toEqual([42]);
    expect(parseSeedList('1-3,7, 9 - 10')).toEqual([1, 2, 3, 7, 9, 10]);
  });
  it('refuses what is not a seed, naming it', () => {
    expect(() => parseSeedList('1,x')).toThrow(InvalidInputError);
    expect(() => parseSeedList('1,x')).toThrow(/"x"/);
    expect(() => parseSeedList('5-2')).toThrow(/backwards/);
    expect(() => parseSeedList('-3')).toThrow(/"-3"/);
  });
});

describe('simulateSeeds', () => {
  it('runs each seed once; the same seed gives the same row', async () => {
    const tiny = { users: 40, movies: 80, historyRatings: 600, days: 4, driftDay: 2, otherMovies: 5 };
    const rows = await simulateSeeds([3, 4, 3], tiny);
    expect(rows.map((r) => r.seed)).toEqual([3, 4, 3]);
    const strip = ({ seconds: _s, ...rest }: (typeof rows)[number]) => rest;
    expect(strip(rows[2]!)).toEqual(strip(rows[0]!));
    expect(rows[0]!.retrains).toBeGreaterThanOrEqual(1);
    const table = renderSeedTable(rows);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toMatch(/^\s*seed\s+pre-drift %/);
  });
});
