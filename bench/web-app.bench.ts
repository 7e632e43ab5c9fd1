import { loadConfig } from '../src/config.ts';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createApp } from '../src/server/create-app.ts';
import { startServer } from '../src/server/start-server.ts';
import { launchChromium } from '../test/helpers/chromium.ts';
import { buildWeb, webDistDir } from '../web/build.ts';
import { fmt, median } from './measure.ts';
import type { Benchmark } from './run.ts';

const loads = 7;

/**
 * The browser app's first paint and weight: a fresh Chromium page (no cache) loads the home page
 * and the browse page of a small generated catalogue `loads` times each. Prints the median first
 * contentful paint, and the bytes of JavaScript and CSS as sent (after any compression) and as
 * decoded.
 */
export const benchmark: Benchmark = {
  name: 'web-app',
  description: 'browser app: first contentful paint and JavaScript/CSS bytes (Chromium, loopback)',
  async run() {
    await buildWeb();
    const db = await openDatabase(':memory:');
    await generateIntoDatabase(db, { users: 60, movies: 150, ratings: 3000, seed: 7, scale: 'half' });
    const app = createApp({
      db,
      config: loadConfig({ env: {}, file: '/nonexistent' }),
      adminToken: 'bench-admin-token-0123456789',
      webDist: webDistDir,
    });
    const server = await startServer({ app, port: 0 });
    const browser = await launchChromium();
    try {
      for (const route of ['/', '/#/browse']) {
        const paints: number[] = [];
        let sent = { js: 0, css: 0 };
        let decoded = { js: 0, css: 0 };
        for (let i = 0; i < loads; i++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await context.newPage();
          await page.goto(`${server.url}${route}`, { waitUntil: 'networkidle' });
          const figures = await page.evaluate(() => {
            const paint = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
            const bytes = { sent: { js: 0, css: 0 }, decoded: { js: 0, css: 0 } };
            for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
              const kind = /\.js(\?|$)/.test(e.name) ? 'js' : /\.css(\?|$)/.test(e.name) ? 'css' : null;
              if (!kind) continue;
              bytes.sent[kind] += e.encodedBodySize;
              bytes.decoded[kind] += e.decodedBodySize;
            }
            return { paint, ...bytes };
          });
          paints.push(figures.paint);
          sent = figures.sent;
          decoded = figures.decoded;
          await context.close();
        }
        console.log(
          `${route.padEnd(10)} first contentful paint median ${fmt(median(paints), 0)} ms (${loads} loads); ` +
            `JS ${sent.js} B sent / ${decoded.js} B decoded; CSS ${sent.css} B sent / ${decoded.css} B decoded`,
        );
      }
    } finally {
      await browser.close();
      await server.close();
      await db.close();
    }
  },
};
