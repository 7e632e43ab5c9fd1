import { type Browser, chromium } from 'playwright-core';

/** The system Chromium the browser tests drive (playwright-core downloads no browser). */
export const chromiumPath = '/usr/bin/chromium';

/** Headless Chromium with the background services that would slow or flake a test turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
