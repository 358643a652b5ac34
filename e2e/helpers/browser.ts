// Launches Debian's Chromium (/usr/bin/chromium) with playwright-core: headless, no sandbox, a fresh profile.
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { ROOT } from './server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      // A fake microphone (a beep) that needs no permission prompt: the voice message tests record with it.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
}

/** A phone (390x844, touch) or a desktop (1280x800) context. */
export async function newContext(browser: Browser, kind: 'phone' | 'desktop', baseURL: string, extra: BrowserContextOptions = {}): Promise<BrowserContext> {
  const options: BrowserContextOptions =
    kind === 'phone'
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 } };
  return browser.newContext({ baseURL, ...options, ...extra });
}

export const SCREENSHOTS = `${ROOT}docs/screenshots/`;

/** Saves a screenshot under docs/screenshots/ (the README shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}
