import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../helpers/chromium.ts';
import { auditPage, axeViolations, newPage, settled, startWebWorld, type WebWorld } from './web-fixture.ts';

/**
 * The browser app as a visitor uses it, end to end: Debian's Chromium driven by playwright-core
 * (no browser download) against a real server on a loopback port. Every page is also checked at
 * desktop and phone width (axe-core, sideways overflow) and photographed.
 */
// CI installs Chromium (.ci/run), so there a missing browser is a failure, never a skip.
const skip = !existsSync(chromiumPath) && !process.env.CI;

describe.skipIf(skip)(
  `web app for people in Chromium${skip ? ` (skipped: ${chromiumPath} is absent)` : ''}`,
  () => {
    let world: WebWorld;
    let page: Page;
    let errors: string[];

    const stored = async (movieId: number) =>
      (
        await world.testDb.db.get<{ rating: number }>(
          'SELECT r.rating FROM ratings r JOIN accounts a ON a.user_id = r.user_id WHERE a.username = ? AND r.movie_id = ?',
          ['e2e-viewer', movieId],
        )
      )?.rating ?? null;
    const card = (movieId: number) => page.locator(`li[data-movie-id="${movieId}"]`).first();
    const sliderOf = (movieId: number) => card(movieId).locator('[role="slider"]');
    const stateOf = (movieId: number) => card(movieId).locator('.rating').getAttribute('data-state');
    const cardIds = async () =>
      page.$$eval('ul[aria-label="Movies to rate"] li[data-movie-id]', (els) =>
        els.map((e) => Number(e.getAttribute('data-movie-id'))),
      );
    /** Clicks star `starNumber` (1-based) of a movie at `fraction` of its width from the left. */
    const clickStar = async (movieId: number, starNumber: number, fraction: number) => {
      const target = sliderOf(movieId)
        .locator('.star')
        .nth(starNumber - 1);
      await target.scrollIntoViewIfNeeded();
      const box = await target.boundingBox();
      if (!box) throw new Error('star not on screen');
      await page.mouse.click(box.x + box.width * fraction, box.y + box.height / 2);
    };
    /** Does `action` and waits for the rating request it sends to be answered. */
    const saving = async (action: () => Promise<unknown>) => {
      await Promise.all([
        page.waitForResponse((r) => r.url().includes('/api/ratings') && r.request().method() !== 'GET'),
        action(),
      ]);
    };

    beforeAll(async () => {
      world = await startWebWorld();
      ({ page, errors } = await newPage(world.browser));
    });
    afterAll(async () => world?.close());

    it('welcomes a visitor: skip link works, no Dashboard link, sign-up page', async () => {
      await page.goto(`${world.server.url}/`);
      await page.getByRole('heading', { name: /Pick tonight/ }).waitFor();
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await page.keyboard.press('Enter');
      // Focus moved to the content; the router did not take "#main" for a page.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      expect(await page.getByRole('heading', { name: /Pick tonight/ }).count()).toBe(1);
      expect(await page.getByText('No such page').count()).toBe(0);
      await auditPage(page, 'home');
      await page.getByRole('link', { name: 'Sign up' }).first().click();
      await page.getByLabel('Username').waitFor();
      await auditPage(page, 'sign-up');
      await page.getByLabel('Username').fill('e2e-viewer');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('alert').filter({ hasText: 'Password must be at least 10 characters.' }).waitFor();
      await page.getByLabel('Password').fill('popcorn-and-soda');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Browse movies' }).waitFor();
    });

    it('onboards a new user to ten ratings with star halves, keyboard, blur and a clear', async () => {
      await page.getByRole('link', { name: 'Tonight’s picks' }).click();
      await page.getByRole('heading', { name: 'Rate 10 movies to get picks made for you' }).waitFor();
      await settled(page);
      expect(await page.locator('.progress-words').textContent()).toBe('0 of 10 rated — 10 to go.');
      await auditPage(page, 'onboarding');
      const ids = await cardIds();
      expect(ids.length).toBeGreaterThanOrEqual(12);

      // Hovering previews: the left half of the second star reads 1.5, nothing is saved.
      const box = await sliderOf(ids[0]!).locator('.star').nth(1).boundingBox();
      await page.mouse.move(box!.x + box!.width * 0.25, box!.y + box!.height / 2);
      expect(await sliderOf(ids[0]!).getAttribute('aria-valuetext')).toContain('1.5 of 5');
      expect(await stored(ids[0]!)).toBeNull();

      // Halves split at each star's middle: left of it is the half star, right of it the whole one.
      for (const [i, fraction, expected] of [
        [0, 0.3, 3.5],
        [1, 0.55, 4],
        [2, 0.45, 3.5],
        [3, 0.9, 4],
      ] as const) {
        await saving(() => clickStar(ids[i]!, 4, fraction));
        expect(await stored(ids[i]!)).toBe(expected);
        await expect.poll(() => stateOf(ids[i]!)).toBe('saved');
      }
      // Keyboard: arrows then Enter saves; arrows then Tab (leaving the stars) saves too.
      for (const [i, presses, leave] of [
        [4, 7, 'Enter'],
        [5, 6, 'Tab'],
        [6, 9, 'Enter'],
      ] as const) {
        await sliderOf(ids[i]!).focus();
        for (let k = 0; k < presses; k++) await page.keyboard.press('ArrowRight');
        expect(await stored(ids[i]!)).toBeNull();
        await saving(() => page.keyboard.press(leave));
        expect(await stored(ids[i]!)).toBe(presses / 2);
      }
      // Clear a rating from the card.
      await saving(() =>
        card(ids[6]!)
          .getByRole('button', { name: /^Clear your rating/ })
          .click(),
      );
      expect(await stored(ids[6]!)).toBeNull();
      // The count moves when the page's request resolves, which can trail the response seen here.
      const progress = () => page.locator('.progress-words').textContent();
      await expect.poll(progress).toBe('6 of 10 rated — 4 to go.');
      for (const i of [7, 8, 9, 10]) {
        await saving(() => clickStar(ids[i]!, 5, 0.8));
      }
      await expect.poll(progress).toBe('10 rated — that is enough for picks made for you.');
      await page.getByRole('button', { name: 'See your picks' }).click();
      await page.locator('ol[aria-label="Tonight’s picks"] li[data-movie-id]').first().waitFor();
      await settled(page);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toMatch(/model version|champion|challenger/i);
      expect(text).toContain('Picked for you from your 10 ratings.');
      await auditPage(page, 'picks');
    });

    it('shows the old rating again, visibly, when a save fails (mouse and keyboard)', async () => {
      const first = await page
        .locator('ol[aria-label="Tonight’s picks"] li[data-movie-id]')
        .first()
        .getAttribute('data-movie-id');
      const movieId = Number(first);
      await saving(() => clickStar(movieId, 3, 0.8));
      expect(await stored(movieId)).toBe(3);
      await page.route('**/api/ratings', (route) =>
        route.fulfill({
          status: 500,
          contentType: 'application/json',
          body: '{"error":{"code":"internal","message":"internal error"}}',
        }),
      );
      await clickStar(movieId, 5, 0.8);
      await page.waitForFunction(
        (id) =>
          document.querySelector(`li[data-movie-id="${id}"] .rating`)?.getAttribute('data-state') ===
          'failed',
        movieId,
      );
      expect(await sliderOf(movieId).getAttribute('data-value')).toBe('3');
      expect(await sliderOf(movieId).getAttribute('aria-valuetext')).toContain('3.0 of 5');
      expect(await card(movieId).locator('.rating-note').textContent()).toMatch(
        /^Not saved\. .* Your rating is still 3\.0 ★\.$/,
      );
      // The keyboard's save fails as visibly.
      await sliderOf(movieId).focus();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        (id) =>
          document
            .querySelector(`li[data-movie-id="${id}"] .rating-note`)
            ?.textContent?.startsWith('Not saved'),
        movieId,
      );
      expect(await sliderOf(movieId).getAttribute('data-value')).toBe('3');
      await page.unroute('**/api/ratings');
      expect(await stored(movieId)).toBe(3);
      errors.length = 0;
    });

    it('opens a movie page from a card: facts, your rating, similar movies', async () => {
      const link = page.locator('ol[aria-label="Tonight’s picks"] li[data-movie-id] h3 a').first();
      const title = (await link.textContent()) ?? '';
      await link.click();
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await settled(page);
      await page.getByRole('heading', { name: 'People who liked this also liked' }).waitFor();
      expect(await page.locator('main').textContent()).toMatch(/Average \d\.\d ★ from \d+ ratings?/);
      expect(await page.getByRole('slider', { name: /^Your rating of/ }).count()).toBeGreaterThan(0);
      await auditPage(page, 'movie');
    });

    it('browses with sort and a year range, and says so plainly when nothing matches', async () => {
      await page.getByRole('link', { name: 'Browse' }).click();
      await settled(page);
      await page.getByLabel('From year').fill('1990');
      await page.getByLabel('To year').fill('1999');
      await page.getByLabel('Sort by').selectOption('year');
      await page.waitForFunction(() => location.hash.includes('sort=year'));
      await page.getByRole('button', { name: 'Search' }).click();
      await settled(page);
      const years = await page.$$eval('ul[aria-label="Movies"] h3', (els) =>
        els.map((e) => Number(/\((\d{4})\)/.exec(e.textContent ?? '')?.[1])),
      );
      expect(years.length).toBeGreaterThan(0);
      for (const y of years) expect(y >= 1990 && y <= 1999).toBe(true);
      expect(years).toEqual([...years].sort((a, b) => b - a));
      await auditPage(page, 'browse');
      await page.getByLabel('From year').fill('2000');
      await page.getByRole('button', { name: 'Search' }).click();
      expect(
        await page.getByRole('alert').filter({ hasText: 'The “from” year is after the “to” year' }).count(),
      ).toBe(1);
      await page.getByLabel('From year').fill('');
      await page.getByLabel('To year').fill('');
      await page.getByLabel('Title').fill('zzzz-no-such-title');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No movies with “zzzz-no-such-title” in the title.').waitFor();
      await auditPage(page, 'browse-empty');
    });

    it('lists my ratings with Delete in reach at phone width', async () => {
      await page.getByRole('link', { name: 'My ratings' }).click();
      await page.locator('tr[data-movie-id]').first().waitFor();
      expect(await page.locator('tr[data-movie-id]').count()).toBe(11);
      await auditPage(page, 'history');
      await page.setViewportSize({ width: 390, height: 844 });
      const del = await page
        .getByRole('button', { name: /^Delete rating of/ })
        .first()
        .boundingBox();
      expect(del!.x + del!.width).toBeLessThanOrEqual(390);
      await page.setViewportSize({ width: 1280, height: 800 });
      // The wrong page address gets a page that says so, with a way home.
      await page.goto(`${world.server.url}/#/no-such-page`);
      await page.getByRole('heading', { name: 'No such page' }).waitFor();
      await auditPage(page, 'not-found');
      expect(errors.filter((e) => !/status of 500/.test(e))).toEqual([]);
    });

    it('follows the system’s dark mode', async () => {
      const dark = await newPage(world.browser, { colorScheme: 'dark' });
      await dark.page.goto(`${world.server.url}/#/browse`);
      await settled(dark.page);
      const background = await dark.page.evaluate(
        () => getComputedStyle(document.documentElement).backgroundColor,
      );
      const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
      expect((r ?? 255) + (g ?? 255) + (b ?? 255)).toBeLessThan(120);
      await auditPage(dark.page, 'browse-dark');
      await dark.page.goto(`${world.server.url}/#/movie/1`);
      await auditPage(dark.page, 'movie-dark');
      expect(await axeViolations(dark.page)).toEqual([]);
      await dark.context.close();
    });
  },
);
