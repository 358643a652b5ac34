// Looks at one page state the way a family member would, in every theme: runs axe-core (WCAG 2.1 AA and best
// practices) in the light, dark and high-contrast themes, saves a screenshot of each, and fails on any violation.
// Themes are switched through the system settings the app follows (prefers-color-scheme, prefers-contrast), so
// the page's own state (scroll, open forms, drafts) is kept.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot } from './browser.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The themes every state is checked in, and the system settings that select each one. */
export const THEMES = [
  { id: 'light', media: { colorScheme: 'light', contrast: 'no-preference' } },
  { id: 'dark', media: { colorScheme: 'dark', contrast: 'no-preference' } },
  { id: 'high-contrast', media: { colorScheme: 'dark', contrast: 'more' } },
] as const;

interface AxeNode {
  target: string[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  help: string;
  nodes: AxeNode[];
}

/** Checks `page` as it is now in every theme and saves `<phone|desktop>-<theme>-<state>.png`; ends in the light theme. */
export async function audit(page: Page, state: string): Promise<void> {
  const kind = (page.viewportSize()?.width ?? 1280) < 700 ? 'phone' : 'desktop';
  const found: string[] = [];
  for (const theme of THEMES) {
    await page.emulateMedia(theme.media);
    await page
      .waitForFunction((id) => document.documentElement.getAttribute('data-theme') === id, theme.id, { timeout: 5_000 })
      .catch(() => {
        throw new Error(`audit(${state}): the page did not switch to the ${theme.id} theme; its theme preference must be "Follow the system"`);
      });
    // Let the browser paint the new colours before measuring contrast.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
      return result.violations;
    });
    for (const v of violations as AxeViolation[]) {
      for (const node of v.nodes) found.push(`${kind} ${theme.id} ${state}: ${v.id} (${v.help}) at ${node.target.join(' ')}: ${node.failureSummary ?? ''}`);
    }
    await screenshot(page, `${kind}-${theme.id}-${state}`);
  }
  await page.emulateMedia(THEMES[0].media);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'light');
  expect(found, found.join('\n')).toEqual([]);
}
