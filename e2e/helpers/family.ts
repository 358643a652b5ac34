// A family for a browser test, built through the API: a server of its own, Mum set up as the admin of
// "The Smiths", the named members invited and registered, and logged-in pages on phones or desktops.
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser, newContext, screenshot } from './browser.js';
import type { RunningServer } from './server.js';
import { startServer } from './server.js';

/** Everyone's password. */
export const PASSWORD = 'correct horse battery';

/** Someone registered: their user, a token of theirs and their username. */
export interface Person {
  id: string;
  username: string;
  token: string;
}

/** What setup and registration return, as far as the fixture reads it. */
interface Joined {
  user: { id: string };
  token: string;
}

/** A running family: the server, a browser, Mum and the members by display name. */
export interface FamilyFixture {
  server: RunningServer;
  browser: Browser;
  familyId: string;
  mum: Person;
  members: Record<string, Person>;
  /** Script errors any page raised (a test ends by expecting none). */
  pageErrors: string[];
  /** Calls the API (as `token`, when given), expects a 2xx and returns `data` (undefined for 204). */
  // JSON bodies are untyped by nature; the tests read them as they do every response.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call: (method: string, path: string, body?: unknown, token?: string) => Promise<any>;
  /** A new page in a context of its own (a device), not logged in. */
  open(kind: 'phone' | 'desktop', who: string, extra?: BrowserContextOptions): Promise<Page>;
  /** A device logged in as `username` through the login form, on the conversation list. */
  logIn(kind: 'phone' | 'desktop', username: string, extra?: BrowserContextOptions): Promise<Page>;
  stop(): Promise<void>;
}

/** Starts a server and a browser, sets up Mum and registers one member per display name (username: it lower-cased). */
export async function startFamily(memberNames: string[]): Promise<FamilyFixture> {
  const server = await startServer();
  const browser = await launchBrowser();
  const pageErrors: string[] = [];
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<unknown> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.status === 204 ? undefined : ((await res.json()) as { data: unknown }).data;
  };
  const setup = (await call('POST', '/setup', { username: 'mum', password: PASSWORD, display_name: 'Mum', family_name: 'The Smiths' })) as Joined & { family: { id: string } };
  const familyId = setup.family.id;
  const members: Record<string, Person> = {};
  for (const name of memberNames) {
    const invite = (await call('POST', `/families/${familyId}/invites`, {}, setup.token)) as { token: string };
    const username = name.toLowerCase();
    const joined = (await call('POST', '/auth/register', { invite_token: invite.token, username, password: PASSWORD, display_name: name })) as Joined;
    members[name] = { id: joined.user.id, username, token: joined.token };
  }
  const open = async (kind: 'phone' | 'desktop', who: string, extra: BrowserContextOptions = {}) => {
    const page = await (await newContext(browser, kind, server.url, extra)).newPage();
    collectErrors(page, who, pageErrors);
    return page;
  };
  return {
    server,
    browser,
    familyId,
    mum: { id: setup.user.id, username: 'mum', token: setup.token },
    members,
    pageErrors,
    call,
    open,
    logIn: async (kind, username, extra) => logInThrough(await open(kind, username, extra), username),
    stop: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** Records the script errors `page` raises into `errors`, each prefixed with `who`. */
export function collectErrors(page: Page, who: string, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`${who}: ${error.message}`));
  page.on('console', (message) => {
    // Expected noise: sockets closed when a session ends, and the API's error answers the pages show.
    if (message.type() === 'error' && !/WebSocket|Failed to load resource/.test(message.text())) errors.push(`${who}: ${message.text()}`);
  });
}

/** Logs `page` in as `username` through the login form; resolves on the conversation list. */
export async function logInThrough(page: Page, username: string): Promise<Page> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'New chat' }).waitFor();
  return page;
}

/**
 * Saves `<kind>-dark-<name>` and `<kind>-high-contrast-<name>` screenshots of the screen `page` shows: sets the
 * page's user's theme, reloads, lets `restore` bring the screen back (a dialog, say), and ends on "Follow the
 * system" again. `call` is the fixture's API call.
 */
export async function screenshotThemes(
  page: Page,
  kind: 'phone' | 'desktop',
  name: string,
  call: FamilyFixture['call'],
  restore: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const token = await page.evaluate(() => localStorage.getItem('famichat.token') ?? '');
  for (const theme of ['dark', 'high-contrast']) {
    await call('PATCH', '/me', { preferences: { theme } }, token);
    await page.reload();
    await page.waitForFunction((id) => document.documentElement.dataset.theme === id, theme);
    await restore();
    await screenshot(page, `${kind}-${theme}-${name}`);
  }
  await call('PATCH', '/me', { preferences: { theme: null } }, token);
  await page.reload();
  await restore();
}
