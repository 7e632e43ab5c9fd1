import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type MovieNightApp } from '../../src/server/create-app.ts';
import { type RunningServer, startServer } from '../../src/server/start-server.ts';
import { buildWeb, webDistDir } from '../../web/build.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { sqliteKind, type TestDatabase } from '../helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';

/** Screenshots of every page at both widths land here (git-ignored), for people to look at. */
export const screenshotDir = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
export const adminToken = 'e2e-admin-token-0123456789';
export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface WebWorld {
  readonly testDb: TestDatabase;
  readonly app: MovieNightApp;
  readonly server: RunningServer;
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * A real server on a loopback port over a small generated catalogue on SQLite, two registered
 * versions (v1 champion), and Debian's Chromium driven by playwright-core.
 */
export async function startWebWorld(): Promise<WebWorld> {
  mkdirSync(screenshotDir, { recursive: true });
  await buildWeb();
  const testDb = await sqliteKind.create();
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
  const server = await startServer({ app, port: 0 });
  const browser = await launchChromium();
  return {
    testDb,
    app,
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await testDb.drop();
    },
  };
}

/** A page that collects console errors (the test decides which are expected). */
export async function newPage(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  // bypassCSP lets the test inject axe-core into pages whose policy forbids any other script.
  const context = await browser.newContext({
    viewport: desktop,
    colorScheme: options.colorScheme ?? 'light',
    bypassCSP: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Waits until no "Loading …" line is left on the page (every section has its data). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.querySelectorAll('.loading, [aria-busy="true"]').length === 0,
    undefined,
    {
      timeout: 20_000,
    },
  );
}

/** axe-core's violations of every impact on the page as it is now: "rule: target …" lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            c: Document,
            o: object,
          ): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(', ')}`,
    );
  });
}

/**
 * Elements that reach past the right edge of the window (outside any scrolling box), for the
 * failure message; text that overflows its box is not among them.
 */
function widestElements(page: Page): Promise<string> {
  return page.evaluate(() => {
    const clipped = (e: Element): boolean => {
      for (let p = e.parentElement; p; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    const past = (e: Element) => e.getBoundingClientRect().right > window.innerWidth && !clipped(e);
    return Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .filter(past)
      .map(
        (e) => `${e.tagName.toLowerCase()}.${e.className} (${e.getBoundingClientRect().right.toFixed(1)} px)`,
      )
      .slice(-6)
      .join(', ');
  });
}

/**
 * Checks the page now shown at desktop and phone width: axe reports nothing, nothing overflows
 * sideways, and a full-page screenshot is saved for each width as `<name>-desktop.png` and
 * `<name>-phone.png`.
 */
export async function auditPage(page: Page, name: string): Promise<void> {
  for (const [label, size] of [
    ['desktop', desktop],
    ['phone', phone],
  ] as const) {
    await page.setViewportSize(size);
    await settled(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = overflow > 0 ? await widestElements(page) : '';
    expect(
      overflow,
      `${name} at ${label} width overflows sideways by ${overflow} px: ${wide}`,
    ).toBeLessThanOrEqual(0);
    // A fade in progress (the status toast's opacity) is not a state the page rests in: axe
    // would measure the contrast of a half-transparent frame.
    await page.waitForFunction(
      () =>
        document
          .getAnimations()
          .filter((a) => a.effect?.getTiming().iterations !== Number.POSITIVE_INFINITY)
          .every((a) => a.playState !== 'running'),
      undefined,
      { timeout: 5_000 },
    );
    expect(await axeViolations(page), `${name} at ${label} width`).toEqual([]);
    await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(desktop);
}
