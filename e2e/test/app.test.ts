// The web client end to end: the production build served by the real server on PostgreSQL, driven in
// Debian's Chromium. Two people in two browser contexts (a desktop and a phone) set up, invite, register,
// chat live (typing, unread badges), scroll back through history, send while the server is down (delivered
// once after the reconnect), and switch themes that survive a reload. Every page state on the way is audited
// (axe-core in the light, dark and high-contrast themes); the audit's screenshots go to docs/screenshots/.
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import { launchBrowser, newContext } from '../helpers/browser.js';
import type { RunningServer } from '../helpers/server.js';
import { startServer } from '../helpers/server.js';

let server: RunningServer;
let browser: Browser;
let mumContext: BrowserContext;
let kidContext: BrowserContext;
let mum: Page;
let kid: Page;
let familyConversationId = '';
const pageErrors: string[] = [];

async function api(page: Page, method: string, path: string, body?: unknown): Promise<any> {
  const token = await page.evaluate(() => localStorage.getItem('famichat.token'));
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.status === 204 ? undefined : ((await res.json())).data;
}

function watch(page: Page, who: string): void {
  page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(message.text())) pageErrors.push(`${who}: ${message.text()}`);
  });
}

const conversationLink = (page: Page, title: string) => page.getByRole('link', { name: new RegExp(`^${title}`) });

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  mumContext = await newContext(browser, 'desktop', server.url);
  kidContext = await newContext(browser, 'phone', server.url);
  mum = await mumContext.newPage();
  kid = await kidContext.newPage();
  watch(mum, 'mum');
  watch(kid, 'kid');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Famichat in the browser', () => {
  it('serves the app with its manifest and service worker, and asks for first-run setup', async () => {
    const manifest = await fetch(`${server.url}/manifest.webmanifest`);
    expect(manifest.status).toBe(200);
    expect(((await manifest.json()) as { display: string }).display).toBe('standalone');
    const sw = await (await fetch(`${server.url}/sw.js`)).text();
    expect(sw).toContain('/assets/');
    expect(sw).not.toContain('__PRECACHE__');

    await mum.goto('/');
    await expect.poll(() => mum.getByRole('heading', { name: /set up your family chat/i }).isVisible()).toBe(true);
    await audit(mum, 'setup');
    await mum.getByLabel('Your name').fill('Mum');
    await mum.getByLabel('Username').fill('mum');
    await mum.getByLabel('Password').fill('correct horse battery');
    await mum.getByLabel('Family name').fill('The Smiths');
    await mum.getByRole('button', { name: 'Create family' }).click();
    await conversationLink(mum, 'The Smiths').waitFor();
    await audit(mum, 'list');
    // Installable: the service worker takes control of the page.
    expect(await mum.evaluate(async () => !!(await navigator.serviceWorker.ready).active)).toBe(true);
    const families = await api(mum, 'GET', '/families');
    familyConversationId = (await api(mum, 'GET', `/families/${families[0].id}`)).conversation_id;
  });

  it('shows a clear error for a wrong password', async () => {
    const page = await (await newContext(browser, 'desktop', server.url)).newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await audit(page, 'login');
    await page.getByLabel('Username').fill('mum');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password.');
    await audit(page, 'login-error');
    await page.context().close();
  });

  it('says it is loading while the server is slow, and offers a retry when it cannot be reached', async () => {
    const page = await (await newContext(browser, 'desktop', server.url)).newPage();
    // The boot's branding request is held: the loading state stays up for the audit, then the request fails.
    let hold!: (route: Route) => void;
    const held = new Promise<Route>((resolve) => (hold = resolve));
    await page.route('**/api/v1/branding', (route) => hold(route));
    await page.goto('/');
    await page.getByRole('status').getByText('Loading…').waitFor();
    await audit(page, 'loading');
    await (await held).abort('connectionrefused');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    await audit(page, 'boot-error');
    await page.context().close();
  });

  it('lets the admin create an invite link that a new member uses on a phone to join the family chat', async () => {
    await mum.getByRole('link', { name: 'Family', exact: true }).click();
    await mum.getByRole('button', { name: 'Create invite link' }).click();
    const link = await mum.getByLabel(/^Invite link 1/).inputValue();
    expect(link).toMatch(new RegExp(`^${server.url}/invite/.+`));
    await audit(mum, 'family-admin');

    await kid.goto(link);
    await kid.getByRole('heading', { name: "You're invited" }).waitFor();
    await audit(kid, 'invite');
    await kid.getByLabel('Your name').fill('Kid');
    await kid.getByLabel('Username').fill('kid');
    await kid.getByLabel('Password').fill('correct horse battery');
    await kid.getByRole('button', { name: 'Join the family' }).click();
    await kid.waitForURL(`**/c/${familyConversationId}`);
    await kid.getByRole('heading', { name: 'The Smiths' }).waitFor();

    // The member list updates live for the admin, with roles.
    await mum.locator('li[data-user="kid"]').waitFor();
    expect(await mum.locator('li[data-user="kid"] .member-role').textContent()).toBe('Member');
    // Roles change from the member list, once confirmed.
    await mum.getByRole('button', { name: 'Make Kid an admin' }).click();
    await mum.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(async () => (await api(mum, 'GET', `/families/${(await api(mum, 'GET', '/families'))[0].id}`)).members.find((m: any) => m.user.username === 'kid').role).toBe('admin');
    await mum.getByRole('button', { name: 'Make Kid a member' }).click();
    await mum.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(async () => (await api(mum, 'GET', `/families/${(await api(mum, 'GET', '/families'))[0].id}`)).members.find((m: any) => m.user.username === 'kid').role).toBe('member');
    // An invite link works once.
    const reused = await (await newContext(browser, 'phone', server.url)).newPage();
    await reused.goto(link.replace(server.url, ''));
    // The page checks the link when it opens: no form for a used one.
    await reused.getByText(/expired or was already used/).waitFor();
    expect(await reused.getByLabel('Username').count()).toBe(0);
    await reused.context().close();
  });

  it('delivers messages live both ways, with typing and presence', async () => {
    await conversationLink(mum, 'The Smiths').click();
    await mum.getByRole('heading', { name: 'The Smiths' }).waitFor();
    await expect.poll(() => mum.locator('.online-now').textContent()).toContain('Kid');

    await kid.getByLabel('Message', { exact: true }).fill('Hi Mum! See https://example.org/plan.');
    await kid.getByLabel('Message', { exact: true }).press('Enter');
    const received = mum.locator('.row.theirs', { hasText: 'Hi Mum!' });
    await received.waitFor();
    expect(await received.getByRole('link', { name: 'https://example.org/plan' }).getAttribute('href')).toBe('https://example.org/plan');

    await mum.getByLabel('Message', { exact: true }).pressSequentially('Dinner at 7?');
    await expect.poll(() => kid.locator('.typing').textContent()).toBe('Mum is typing…');
    await audit(kid, 'typing');
    await mum.getByRole('button', { name: 'Send' }).click();
    await kid.locator('.row.theirs', { hasText: 'Dinner at 7?' }).waitFor();
    await mum.locator('.row.mine', { hasText: 'Dinner at 7?' }).getByText('Sent').waitFor();
    await expect.poll(() => mum.locator('.row', { hasText: 'Dinner at 7?' }).count()).toBe(1);
    await expect.poll(() => kid.locator('.typing').textContent()).toBe('');
    await mum.locator('.row.mine', { hasText: 'Dinner at 7?' }).waitFor();
    await audit(mum, 'chat');
    await audit(kid, 'chat');
  });

  it('shows an unread badge for messages in a conversation that is not open, and clears it on opening', async () => {
    // Mum opens her notes; the kid writes in the family chat.
    await mum.getByRole('button', { name: 'Notes' }).click();
    await mum.getByRole('heading', { name: 'Notes' }).waitFor();
    await audit(mum, 'notes');
    await kid.getByLabel('Message', { exact: true }).fill('Are you there?');
    await kid.getByLabel('Message', { exact: true }).press('Enter');
    await kid.getByLabel('Message', { exact: true }).fill('Hello?');
    await kid.getByLabel('Message', { exact: true }).press('Enter');
    const family = conversationLink(mum, 'The Smiths');
    await expect.poll(() => family.getByLabel(/unread/).textContent()).toBe('2');
    // Most recent first: the family conversation is above the notes.
    const titles = await mum.locator('.conversation .title').allTextContents();
    expect(titles.indexOf('The Smiths')).toBeLessThan(titles.indexOf('Notes'));
    await expect.poll(() => family.locator('.preview').textContent()).toContain('Kid: Hello?');
    await audit(mum, 'unread');
    await family.click();
    await mum.locator('.row.theirs', { hasText: 'Hello?' }).waitFor();
    await expect.poll(() => family.getByLabel(/unread/).count()).toBe(0);
    const list = await api(mum, 'GET', '/conversations');
    expect(list.find((c: any) => c.id === familyConversationId).unread_count).toBe(0);
  });

  it('starts a direct conversation, loads the latest page first and older pages on scrolling up', async () => {
    await mum.getByRole('button', { name: 'New chat' }).click();
    await mum.getByRole('heading', { name: 'New conversation' }).waitFor();
    await audit(mum, 'new-chat');
    await mum.getByRole('button', { name: /^Kid/ }).click();
    await mum.getByRole('heading', { name: 'Kid' }).waitFor();
    const direct = (await api(mum, 'GET', '/conversations')).find((c: any) => c.type === 'direct');
    for (let i = 1; i <= 75; i++) await api(mum, 'POST', `/conversations/${direct.id}/messages`, { body: `history ${i}` });
    await mum.reload();
    await mum.locator('.row', { hasText: 'history 75' }).waitFor();
    // The latest page only: 30 messages, the oldest of them is 46.
    expect(await mum.locator('.row[data-seq]').count()).toBe(30);
    expect(await mum.locator('.row[data-seq]').first().getAttribute('data-seq')).toBe('46');
    const log = mum.getByRole('log', { name: 'Messages' });
    for (let i = 0; i < 10 && (await mum.locator('.row[data-seq="1"]').count()) === 0; i++) {
      // Counted before scrolling: an older page that arrives at once must not raise the bar it is measured against.
      const shown = await mum.locator('.row[data-seq]').count();
      await log.evaluate((el) => (el.scrollTop = 0));
      await mum.waitForFunction((n) => document.querySelectorAll('.row[data-seq]').length > n || !!document.querySelector('.start-of-history'), shown);
    }
    await mum.getByText('This is the beginning of the conversation.').waitFor();
    const seqs = (await mum.locator('.row[data-seq]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq')))));
    expect(seqs).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
    // Day separator: all today.
    expect(await mum.getByRole('separator').allTextContents()).toEqual(['Today']);
    await audit(mum, 'history');
  });

  it('sends a message typed while the server is down exactly once after the reconnect', async () => {
    await conversationLink(mum, 'The Smiths').click();
    await mum.getByRole('heading', { name: 'The Smiths' }).waitFor();
    await server.kill();
    await mum.getByText(/Reconnecting/).waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('Sent while offline');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    const pending = mum.locator('.row.pending', { hasText: 'Sent while offline' });
    await pending.getByText('Sending…').waitFor();
    await audit(mum, 'reconnecting');
    await kid.getByText(/Reconnecting/).waitFor();
    await audit(kid, 'reconnecting');
    await server.restart();
    await mum.locator('.row.mine:not(.pending)', { hasText: 'Sent while offline' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => mum.getByText(/Reconnecting/).count(), { timeout: 30_000 }).toBe(0);
    await kid.locator('.row.theirs', { hasText: 'Sent while offline' }).waitFor({ timeout: 30_000 });
    const page = await api(mum, 'GET', `/conversations/${familyConversationId}/messages?limit=200`);
    expect(page.filter((m: any) => m.body === 'Sent while offline')).toHaveLength(1);
    expect(await mum.locator('.row', { hasText: 'Sent while offline' }).count()).toBe(1);
  });

  it('edits and deletes your own message', async () => {
    const seq = await mum.locator('.row.mine', { hasText: 'Dinner at 7?' }).getAttribute('data-seq');
    const row = mum.locator(`.row[data-seq="${seq}"]`);
    await row.getByRole('button', { name: /Options for your message/ }).click();
    await row.getByRole('button', { name: 'Edit' }).click();
    await row.getByLabel('Edit message').fill('Dinner at 8?');
    await audit(mum, 'edit');
    await row.getByRole('button', { name: 'Save' }).click();
    await kid.locator('.row.theirs', { hasText: 'Dinner at 8?' }).getByText(/edited/).waitFor();
    const edited = row;
    await edited.getByText(/edited/).waitFor();
    await edited.getByRole('button', { name: /Options for your message/ }).click();
    await edited.getByRole('button', { name: 'Delete' }).click();
    await edited.getByRole('button', { name: 'Keep' }).waitFor();
    await audit(mum, 'delete');
    await edited.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => kid.locator('.row', { hasText: 'Dinner at 8?' }).count()).toBe(0);
    expect(await kid.getByText('This message was deleted').count()).toBe(1);
    await audit(kid, 'deleted');
  });

  it("creates a group that shows up live in the member's list and carries messages both ways", async () => {
    await mum.getByRole('button', { name: 'New chat' }).click();
    await mum.getByLabel('Group name').fill('Weekend plans');
    await mum.getByRole('checkbox', { name: 'Kid' }).check();
    await audit(mum, 'new-group');
    await mum.getByRole('button', { name: 'Create group' }).click();
    await mum.getByRole('heading', { name: 'Weekend plans' }).waitFor();
    // The kid's phone lists it without a reload; a message makes it unread there.
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await conversationLink(kid, 'Weekend plans').waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('Picnic on Saturday?');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await conversationLink(kid, 'Weekend plans').getByLabel(/unread/).waitFor();
    await audit(kid, 'unread');
    await conversationLink(kid, 'Weekend plans').click();
    await kid.locator('.row.theirs', { hasText: 'Picnic on Saturday?' }).waitFor();
    await kid.getByLabel('Message', { exact: true }).fill('Yes!');
    await kid.getByLabel('Message', { exact: true }).press('Enter');
    await mum.locator('.row.theirs', { hasText: 'Yes!' }).waitFor();
    await audit(mum, 'group');
    const group = (await api(mum, 'GET', '/conversations')).find((c: any) => c.type === 'group');
    expect(group).toMatchObject({ title: 'Weekend plans', latest_message_seq: 2 });
    expect(group.participants.map((p: any) => p.display_name).sort()).toEqual(['Kid', 'Mum']);
  });

  it('switches themes, saves the choice, and applies it before the first paint after a reload', async () => {
    await mum.getByRole('link', { name: 'Settings' }).click();
    // Audited while the preference still follows the system (the audit switches themes through it).
    await audit(mum, 'settings');
    await mum.getByRole('radio', { name: 'Dark' }).check();
    await expect.poll(() => mum.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await expect.poll(async () => (await api(mum, 'GET', '/me')).preferences.theme).toBe('dark');
    // Before any script of the app runs, the inline script has applied the theme.
    await mum.route('**/assets/*.js', (route) => route.abort());
    await mum.reload();
    expect(await mum.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await mum.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(17, 18, 22)');
    await mum.unroute('**/assets/*.js');
    await mum.reload();
    await mum.getByRole('radio', { name: 'Dark' }).waitFor();
    expect(await mum.getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    await conversationLink(mum, 'The Smiths').click();
    await mum.locator('.row.mine', { hasText: 'Sent while offline' }).waitFor();

    // "Follow the system" follows it.
    await mum.getByRole('link', { name: 'Settings' }).click();
    await mum.getByRole('radio', { name: 'Follow the system' }).check();
    await mum.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => mum.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await mum.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => mum.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect((await api(mum, 'GET', '/me')).preferences.theme).toBeNull();

    await kid.goto('/settings');
    await kid.getByRole('radio', { name: 'High contrast' }).waitFor();
    await audit(kid, 'settings');
    await kid.getByRole('radio', { name: 'High contrast' }).check();
    await kid.reload();
    await expect.poll(() => kid.evaluate(() => document.documentElement.dataset.theme)).toBe('high-contrast');
    await kid.getByRole('radio', { name: 'Dark' }).check();
    await kid.goto('/');
    await conversationLink(kid, 'The Smiths').waitFor();
    await conversationLink(kid, 'The Smiths').click();
    await kid.locator('.row.theirs', { hasText: 'Sent while offline' }).waitFor();
  });

  it('fits a 390x844 phone: no sideways scrolling, one pane at a time, a back link', async () => {
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await conversationLink(kid, 'The Smiths').waitFor();
    expect(await kid.locator('.chat').count()).toBe(0);
    await kid.getByRole('link', { name: 'Settings' }).click();
    // Back to following the system, which the audit switches through.
    await kid.getByRole('radio', { name: 'Follow the system' }).check();
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await conversationLink(kid, 'The Smiths').waitFor();
    await audit(kid, 'list');
    await conversationLink(kid, 'The Smiths').click();
    await kid.getByLabel('Message', { exact: true }).fill('x'.repeat(500));
    await kid.getByLabel('Message', { exact: true }).press('Enter');
    const long = kid.locator('.row.mine:not(.pending)', { hasText: 'xxxxxxxx' });
    await long.getByText('Sent').waitFor();
    const width = await kid.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    const bubble = await long.locator('.bubble').boundingBox();
    expect(bubble!.x + bubble!.width).toBeLessThanOrEqual(390);
    // The list, whose preview now holds that long message, fits too.
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await conversationLink(kid, 'The Smiths').waitFor();
    const listWidth = await kid.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(listWidth.scroll).toBeLessThanOrEqual(listWidth.client);
    const settings = await kid.getByRole('link', { name: 'Settings' }).boundingBox();
    expect(settings!.x + settings!.width).toBeLessThanOrEqual(390);
  });

  it('logs out, and raised no script errors on the way', async () => {
    await kid.getByRole('link', { name: 'Settings' }).click();
    await kid.getByRole('button', { name: 'Log out', exact: true }).click();
    await kid.getByRole('heading', { name: 'Log in' }).waitFor();
    await audit(kid, 'login');
    expect(await kid.evaluate(() => localStorage.getItem('famichat.token'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });

  it('lets the admin remove a member, and the service worker never cached an API response', async () => {
    await mum.getByRole('link', { name: 'Family', exact: true }).click();
    await mum.getByRole('button', { name: 'Remove Kid' }).click();
    await mum.getByRole('button', { name: 'Yes, remove Kid' }).click();
    await expect.poll(() => mum.locator('li[data-user="kid"]').count()).toBe(0);
    const family = await api(mum, 'GET', `/families/${(await api(mum, 'GET', '/families'))[0].id}`);
    expect(family.members.map((m: any) => m.user.username)).toEqual(['mum']);
    const cached = await mum.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      return urls;
    });
    expect(cached).toContain('/index.html');
    expect(cached.filter((u) => u.startsWith('/api/') || u.startsWith('/socket'))).toEqual([]);
  });
});
