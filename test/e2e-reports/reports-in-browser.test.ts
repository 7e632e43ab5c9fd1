import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { chromiumPath, launchChromium } from '../helpers/chromium.ts';
import { buildReportFixture, quietly } from './report-fixture.ts';

const reports = ['unexpected', 'impact', 'status', 'tuning'] as const;

/** Chart elements that carry data: points, bars, parallel-coordinate lines, flowchart nodes. */
const dataMarks = '.mn-point, .mn-bar, .mn-line, .mn-node';

describe.skipIf(!existsSync(chromiumPath))(
  `report HTML pages in headless Chromium${existsSync(chromiumPath) ? '' : ` (skipped: ${chromiumPath} is absent)`}`,
  () => {
    let dir: string;
    let browser: Browser;
    const pages = new Map<string, string>();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mn-report-html-'));
      const location = join(dir, 'movies.db');
      const db = await openDatabase(location);
      try {
        await buildReportFixture(db, Date.now());
      } finally {
        await db.close();
      }
      // Through the CLI's own entry, in this process (four extra processes would cost more than
      // the test; report-cli.test.ts runs one real process end to end).
      for (const report of reports) {
        const out = join(dir, `${report}.html`);
        const code = await quietly(() =>
          runCli(['node', 'movienight', '--db', location, 'report', report, '--out', out]),
        );
        expect(code).toBe(0);
        pages.set(report, out);
      }
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const report of reports) {
      it(`${report}: opens from the file with no console error, no request, and charts with data`, async () => {
        const file = pages.get(report)!;
        expect(readFileSync(file, 'utf8')).not.toMatch(/<script/i);
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('request', (r) => {
          if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
        });
        await page.goto(`file://${file}`, { waitUntil: 'load' });
        const charts = await page.$$eval('svg.mn-chart', (svgs) =>
          svgs.map((s) => ({
            title: s.querySelector('title')?.textContent ?? '',
            marks: s.querySelectorAll('.mn-point, .mn-bar, .mn-line, .mn-node').length,
            noData: s.querySelector('.mn-no-data') !== null,
            width: s.getBoundingClientRect().width,
          })),
        );
        // Nothing runs off the side (long parameter lists wrap).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        await page.close();
        expect(overflow).toBeLessThanOrEqual(0);
        expect(problems).toEqual([]);
        expect(requests).toEqual([]);
        expect(charts.length).toBeGreaterThan(0);
        for (const c of charts) {
          // Every chart on the fixture has data, is laid out, and is titled.
          expect(c, c.title).toMatchObject({ noData: false });
          expect(c.marks, `${c.title}: ${dataMarks}`).toBeGreaterThan(0);
          expect(c.width).toBeGreaterThan(100);
          expect(c.title.length).toBeGreaterThan(0);
        }
      });
    }
  },
);
