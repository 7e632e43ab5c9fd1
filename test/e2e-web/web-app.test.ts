import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/server/create-app.ts';
import { type RunningServer, startServer } from '../../src/server/start-server.ts';
import { buildWeb, webDistDir } from '../../web/build.ts';
import { chromiumPath, launchChromium } from '../helpers/chromium.ts';
import { sqliteKind, type TestDatabase } from '../helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';

/**
 * The browser app end to end: Debian's Chromium driven by playwright-core (no browser download),
 * against a real server on a loopback port with a small generated catalogue on SQLite.
 */
const artifacts = resolve(import.meta.dirname, '..', '..', 'test-artifacts');
const adminToken = 'e2e-admin-token-0123456789';

// CI installs Chromium (.ci/run), so there a missing browser is a failure, never a skip.
const skip = !existsSync(chromiumPath) && !process.env.CI;

describe.skipIf(skip)(`web app in Chromium${skip ? ` (skipped: ${chromiumPath} is absent)` : ''}`, () => {
  let testDb: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const pickIds = async () =>
    page.$$eval('ol[aria-label="Tonight’s picks"] li[data-movie-id]', (els) =>
      els.map((e) => Number(e.getAttribute('data-movie-id'))),
    );

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await buildWeb();
    testDb = await sqliteKind.create();
    await generateSmallWorld(testDb.db);
    await trainVersion(testDb.db, 'baseline', { seed: 1 });
    await trainVersion(testDb.db, 'baseline', { seed: 2, activate: false });
    const app = createApp({
      db: testDb.db,
      config: loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel: 'silent' } }),
      adminToken,
      webDist: webDistDir,
      servingStalenessMs: 0,
    });
    server = await startServer({ app, port: 0 });
    // A finished tuning run, so the dashboard's tuning charts have something to draw.
    const tuning = await fetch(`${server.url}/api/admin/tuning/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'random', model: 'baseline', trials: 4, folds: 2, seed: 1 }),
    });
    expect(tuning.status).toBe(202);
    await app.context.background.idle();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.drop();
  });

  it('signs up, rates five movies with stars (keyboard and mouse), and sees the picks change', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: /Pick tonight/ }).waitFor();
    await shot('01-home');

    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByLabel('Username').waitFor();
    await shot('01b-sign-up');
    await page.getByLabel('Username').fill('e2e-viewer');
    await page.getByLabel('Password').fill('popcorn-and-soda');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Browse movies' }).waitFor();
    await page.locator('li[data-movie-id]').first().waitFor();
    await shot('02-browse');

    await page.getByRole('link', { name: 'Tonight’s picks' }).click();
    await page.locator('ol[aria-label="Tonight’s picks"] li[data-movie-id]').first().waitFor();
    const before = await pickIds();
    expect(before.length).toBeGreaterThanOrEqual(5);
    await page.locator('.reason').first().waitFor();
    await shot('03-picks-before');

    // Rate the first five picks: three with the keyboard (arrows, then Enter), two with the mouse.
    const rated = before.slice(0, 5);
    for (const [i, movieId] of rated.entries()) {
      const stars = page.locator(`li[data-movie-id="${movieId}"] [role="slider"]`);
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/ratings') && r.status() === 200);
      if (i < 3) {
        await stars.focus();
        for (let k = 0; k < 7 + i; k++) await page.keyboard.press('ArrowRight');
        await page.keyboard.press('Enter');
      } else {
        await stars.locator('.star').nth(3).click();
      }
      await saved;
    }
    const stored = await testDb.db.all<{ movie_id: number; rating: number }>(
      'SELECT r.movie_id, r.rating FROM ratings r JOIN accounts a ON a.user_id = r.user_id WHERE a.username = ? ORDER BY r.movie_id',
      ['e2e-viewer'],
    );
    expect(stored.map((r) => Number(r.movie_id))).toEqual([...rated].sort((a, b) => a - b));
    const byMovie = new Map(stored.map((r) => [Number(r.movie_id), Number(r.rating)]));
    // Seven, eight and nine half-star steps from nothing are 3.5, 4 and 4.5 stars.
    expect(rated.slice(0, 3).map((m) => byMovie.get(m))).toEqual([3.5, 4, 4.5]);
    for (const m of rated.slice(3)) expect(byMovie.get(m)).toBeGreaterThanOrEqual(3.5);
    // Each rating of a served pick became a tracked outcome.
    const tracked = await testDb.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM recommendation_quality q JOIN accounts a ON a.user_id = q.user_id WHERE a.username = ? AND q.unexpected = 0',
      ['e2e-viewer'],
    );
    expect(Number(tracked?.n)).toBe(5);

    await page.getByRole('button', { name: 'Refresh picks' }).click();
    await page.waitForFunction((old) => {
      const ids = Array.from(
        document.querySelectorAll('ol[aria-label="Tonight’s picks"] li[data-movie-id]'),
      ).map((e) => Number(e.getAttribute('data-movie-id')));
      return ids.length > 0 && ids.join() !== old;
    }, before.join());
    const after = await pickIds();
    expect(after).not.toEqual(before);
    for (const m of rated) expect(after).not.toContain(m);
    await shot('04-picks-after');

    await page.getByRole('link', { name: 'My ratings' }).click();
    await page.locator('tr[data-movie-id]').first().waitFor();
    expect(await page.locator('tr[data-movie-id]').count()).toBe(5);
    await shot('05-history');

    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('link', { name: 'Tonight’s picks' }).click();
    await page.locator('ol[aria-label="Tonight’s picks"] li[data-movie-id]').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot('06-picks-phone');
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('signs in as admin and shows the dashboard charts with data', async () => {
    await page.getByRole('button', { name: /Sign out/ }).click();
    // Signed out once the navigation offers signing in again.
    await page.getByRole('navigation').getByRole('link', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByLabel('Admin token').waitFor();
    await shot('06b-admin-sign-in');
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('alert').filter({ hasText: 'admin token is wrong' }).waitFor();
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('heading', { name: 'Deployment' }).waitFor();

    for (const name of [
      'tracker-accuracy',
      'accuracy-by-version',
      'version-metrics',
      'alias-history',
      'tuning-0',
    ]) {
      const svg = page.locator(`figure[data-chart="${name}"] svg`);
      await svg.waitFor({ timeout: 15_000 });
      const marks = await svg.locator('path, polyline, circle, rect, line').count();
      expect(marks, name).toBeGreaterThan(3);
    }
    // Charts with data, not placeholders.
    for (const name of ['tracker-accuracy', 'version-metrics', 'tuning-0']) {
      expect(await page.locator(`figure[data-chart="${name}"] .mn-no-data`).count(), name).toBe(0);
    }
    expect(await page.locator('figure[data-chart="tracker-accuracy"]').textContent()).toContain('threshold');
    expect(await page.locator('figure[data-chart^="tuning-"] svg').count()).toBeGreaterThanOrEqual(3);
    await shot('07-dashboard');

    // Start an A/B test from the dashboard; the section then shows the running test.
    await page.getByLabel('Challenger version').fill('2');
    await page.getByRole('button', { name: 'Start A/B test' }).click();
    await page.getByText(/#1: v1 \(champion\) vs v2 \(challenger\)/).waitFor({ timeout: 15_000 });
    await shot('08-dashboard-ab');
    // The one expected error: the browser logs the 401 of the wrong admin token.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
