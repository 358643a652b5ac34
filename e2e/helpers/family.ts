// A family for a browser test, set up through the API: a server of its own, Mum (instance and family admin)
// and the members asked for, plus logged-in pages in browser contexts of their own (one device each).
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser, newContext } from './browser.js';
import type { RunningServer } from './server.js';
import { startServer } from './server.js';

/** Everyone's password in the browser tests. */
export const PASSWORD = 'correct horse battery';

/** A member as the API returned it at registration. */
export interface Member {
  user: { id: string; username: string; display_name: string };
  token: string;
}

/** A running server with a family on it and a browser to open devices in. */
export interface FamilyFixture {
  server: RunningServer;
  browser: Browser;
  familyId: string;
  /** The family conversation's id. */
  familyConversationId: string;
  /** Mum first, then the members in the order asked for, by username. */
  members: Record<string, Member>;
  /** Errors the pages threw or logged (a test ends by expecting this to be empty). */
  pageErrors: string[];
  /** Calls the API as `token` (or anonymously); returns the envelope's data, failing on a status >= 300. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<any>;
  /** A page logged in as `username` in a new phone or desktop context (`options` add to its settings, e.g. a time zone). */
  device(kind: 'phone' | 'desktop', username: string, options?: BrowserContextOptions): Promise<Page>;
  /** A new page in a context of its own (a device), not logged in; `who` names it in pageErrors. */
  open(kind: 'phone' | 'desktop', who: string, options?: BrowserContextOptions): Promise<Page>;
  /** Records a page's errors into pageErrors (for pages opened without `device`). */
  watch(page: Page, who: string): void;
  stop(): Promise<void>;
}

/** Starts a server and sets up "The Smiths": Mum (admin) and a member per name ("kid" → display name "Kid"). */
export async function startFamily(memberNames: string[] = ['kid'], env: Record<string, string> = {}): Promise<FamilyFixture> {
  const browser = await launchBrowser();
  const server = await startServer(env);
  const pageErrors: string[] = [];
  const api = async (method: string, path: string, body?: unknown, token?: string): Promise<any> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.status === 204 ? undefined : ((await res.json()) as { data: unknown }).data;
  };
  const display = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
  const setup = await api('POST', '/setup', { username: 'mum', password: PASSWORD, display_name: 'Mum', family_name: 'The Smiths' });
  const members: Record<string, Member> = { mum: { user: setup.user, token: setup.token } };
  for (const name of memberNames) {
    const invite = await api('POST', `/families/${setup.family.id}/invites`, {}, setup.token);
    const joined = await api('POST', '/auth/register', { invite_token: invite.token, username: name, password: PASSWORD, display_name: display(name) });
    members[name] = { user: joined.user, token: joined.token };
  }
  const family = await api('GET', `/families/${setup.family.id}`, undefined, setup.token);
  const watch = (page: Page, who: string) => {
    page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(message.text())) pageErrors.push(`${who}: ${message.text()}`);
    });
  };
  const open = async (kind: 'phone' | 'desktop', who: string, options?: BrowserContextOptions): Promise<Page> => {
    const page = await (await newContext(browser, kind, server.url, options)).newPage();
    watch(page, who);
    return page;
  };
  const device = async (kind: 'phone' | 'desktop', username: string, options?: BrowserContextOptions): Promise<Page> => {
    const page = await open(kind, `${username} (${kind})`, options);
    await page.goto('/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'New chat' }).waitFor();
    return page;
  };
  return {
    server,
    browser,
    familyId: setup.family.id,
    familyConversationId: family.conversation_id,
    members,
    pageErrors,
    api,
    device,
    open,
    watch,
    stop: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** The conversation list's link to the conversation titled `title`. */
export const conversationLink = (page: Page, title: string) => page.getByRole('link', { name: new RegExp(`^${title}`) });

/** The caller's own delivered (not pending) message row with `body`. */
export const mine = (page: Page, body: string) => page.locator('.row.mine:not(.pending)', { hasText: body });
