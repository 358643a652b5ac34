// Read receipts in the browser: Mum writes to Kid, Kid opens the chat (reading it), and "Seen by Kid" shows
// under Mum's message live, after a reload, on a second device of Mum's that was on the list when Kid read,
// and on a device that logs in afterwards. Production build, real server, fresh PostgreSQL database.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot } from '../helpers/browser.js';
import type { RunningServer } from '../helpers/server.js';
import { startServer } from '../helpers/server.js';
import { PASSWORD, collectErrors, logInThrough } from '../helpers/family.js';

let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];

async function post(path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return ((await res.json()) as { data: unknown }).data;
}

/** A logged-in page in a new browser context (a device of its own). */
async function device(kind: 'phone' | 'desktop', username: string, who: string): Promise<Page> {
  const page = await (await newContext(browser, kind, server.url)).newPage();
  collectErrors(page, who, pageErrors);
  return logInThrough(page, username);
}

const conversationLink = (page: Page, title: string) => page.getByRole('link', { name: new RegExp(`^${title}`) });
const mine = (page: Page, body: string) => page.locator('.row.mine:not(.pending)', { hasText: body });

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const setup = await post('/setup', { username: 'mum', password: PASSWORD, display_name: 'Mum', family_name: 'The Smiths' });
  const invite = await post(`/families/${setup.family.id}/invites`, {}, setup.token);
  const kid = await post('/auth/register', { invite_token: invite.token, username: 'kid', password: PASSWORD, display_name: 'Kid' });
  await post('/conversations', { type: 'direct', participant_id: kid.user.id }, setup.token);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('read receipts', () => {
  it('shows "Seen by" live, after a reload, and on every device of the sender', async () => {
    const mum = await device('desktop', 'mum', 'mum');
    // Mum's second device stays on the conversation list while Kid reads.
    const mumPhone = await device('phone', 'mum', 'mum (phone)');
    await conversationLink(mum, 'Kid').click();
    await mum.getByRole('heading', { name: 'Kid' }).waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('Homework done?');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await mine(mum, 'Homework done?').getByText('Sent').waitFor();
    expect(await mum.getByText(/^Seen by/).count()).toBe(0);

    const kid = await device('phone', 'kid', 'kid');
    await conversationLink(kid, 'Mum').click();
    await kid.locator('.row.theirs', { hasText: 'Homework done?' }).waitFor();

    // Live, from Kid's read.
    await mine(mum, 'Homework done?').getByText('Seen by Kid').waitFor();
    // After a reload: from the conversation's read_up_to.
    await mum.reload();
    await mine(mum, 'Homework done?').getByText('Seen by Kid').waitFor();
    await mum.locator('.chat-title').getByText('online', { exact: true }).waitFor();
    await screenshot(mum, 'desktop-light-seen-by');
    // The device that was on the list heard of the read (conversation_updated) and shows it on opening the chat.
    await conversationLink(mumPhone, 'Kid').click();
    await mine(mumPhone, 'Homework done?').getByText('Seen by Kid').waitFor();
    // A device that logs in afterwards shows it too.
    const mumLaptop = await device('desktop', 'mum', 'mum (laptop)');
    await conversationLink(mumLaptop, 'Kid').click();
    await mine(mumLaptop, 'Homework done?').getByText('Seen by Kid').waitFor();

    // A newer message is not seen until Kid reads it; then every device of Mum's moves "Seen by" to it.
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await conversationLink(kid, 'Mum').waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('And your room?');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await mine(mum, 'And your room?').getByText('Sent').waitFor();
    for (const page of [mum, mumPhone, mumLaptop]) await expect.poll(() => page.getByText(/^Seen by/).count()).toBe(0);
    await conversationLink(kid, 'Mum').click();
    await kid.locator('.row.theirs', { hasText: 'And your room?' }).waitFor();
    for (const page of [mum, mumPhone, mumLaptop]) await mine(page, 'And your room?').getByText('Seen by Kid').waitFor();
    for (const page of [mum, mumPhone, mumLaptop]) expect(await page.getByText(/^Seen by/).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
