import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { unexpectedMoviesReport } from '../../src/reports/unexpected-movies-report.ts';
import { runCliInProcess, runCliProcess } from '../helpers/cli.ts';
import { buildReportFixture } from './report-fixture.ts';

describe('movienight report (CLI)', () => {
  let dir: string;
  let location: string;
  const now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mn-report-cli-'));
    location = join(dir, 'movies.db');
    const db = await openDatabase(location);
    try {
      await buildReportFixture(db, now);
    } finally {
      await db.close();
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the same plain data with --json as the function returns; bad flags exit 2 naming the flag', async () => {
    const out = join(dir, 'u.html');
    // One real process end to end; the error cases run the same entry in this process (fast).
    const json = await runCliProcess(['--db', location, 'report', 'unexpected', '--json', '--out', out]);
    const run = (...args: string[]) => runCliInProcess(['--db', location, 'report', ...args]);
    const svgDir = join(dir, 'charts');
    const svgs = await run('tuning', '--svg', svgDir);
    expect(svgs.code, svgs.stderr).toBe(0);
    const files = readdirSync(svgDir).sort();
    expect(files).toContain('tuning-optimisation-history-rmse-minimize.svg');
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files)
      expect(readFileSync(join(svgDir, f), 'utf8')).toMatch(/^<\?xml[^\n]*\n<svg xmlns=/);
    // --at: the status as of a time (here before anything happened: no live samples yet).
    const then = await run('status', '--json', '--at', '2000-01-01');
    expect(then.code, then.stderr).toBe(0);
    const past = JSON.parse(then.stdout) as { generatedAt: number; tracker: { counts: { tracked: number } } };
    expect(past.generatedAt).toBe(Date.UTC(2000, 0, 1));
    expect(past.tracker.counts.tracked).toBe(0);
    const badSource = await run('unexpected', '--source', 'nope');
    const badRun = await run('tuning', '--run', 'nope_1');
    const paramsAlone = await run('impact', '--params', '{"factors": 5}');
    const badDate = await run('unexpected', '--since', 'yesterday-ish');
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as { report: string; totals: unknown; topUsers: unknown };
    const db = await openDatabase(location);
    try {
      const direct = await unexpectedMoviesReport(db, { now });
      expect(printed.report).toBe('unexpected');
      expect(printed.totals).toEqual(direct.totals);
      expect(printed.topUsers).toEqual(direct.topUsers);
    } finally {
      await db.close();
    }
    expect(existsSync(out)).toBe(true);
    expect(json.stderr).toContain(`wrote ${out}`);

    expect(badSource).toMatchObject({ code: 2, stdout: '' });
    expect(badSource.stderr).toContain('--source must be one of tracker, ratings, got "nope"');
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toContain('tuning run "nope_1" does not exist');
    expect(paramsAlone.code).toBe(2);
    expect(paramsAlone.stderr).toContain('--params needs --model');
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--since must be a date');
  }, 60_000);
});
