// Offline in the browser: the banner says so within 2 s of losing the network, a reload while offline shows the
// conversation list and the recently opened chats from the device (others say they are not available offline),
// a message typed offline survives a reload and is delivered exactly once when the network returns, and logging
// out leaves nothing readable. Production build, real server, fresh PostgreSQL database.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, mine, startFamily } from '../helpers/family.js';

let family: FamilyFixture;
let mumToken: string;

beforeAll(async () => {
  family = await startFamily(['kid']);
  mumToken = family.members.mum!.token;
  for (const body of ['Breakfast is ready', 'Who took the car keys?', 'Found them!']) {
    await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body }, mumToken);
  }
  await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid!.user.id }, mumToken);
});

afterAll(async () => {
  await family?.stop();
});

const offlineBanner = (page: Page) => page.getByRole('status').filter({ hasText: /^Offline\./ });

/** What the device keeps for offline reading: the list's conversation count and the kept messages of `conversationId`. */
function kept(page: Page, conversationId: string): Promise<{ conversations: number; messages: number }> {
  return page.evaluate(async (id) => {
    // Never create the database here: the app creates it with its stores.
    if (!(await indexedDB.databases()).some((d) => d.name === 'famichat-offline')) return { conversations: 0, messages: 0 };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('famichat-offline');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(new Error(String(open.error)));
    });
    const get = <T,>(store: string, key: string) =>
      new Promise<T | undefined>((resolve) => {
        const request = db.transaction(store).objectStore(store).get(key);
        request.onsuccess = () => resolve(request.result as T | undefined);
        request.onerror = () => resolve(undefined);
      });
    const snapshot = await get<{ conversations: unknown[] }>('snapshot', 'current');
    const chat = await get<{ messages: unknown[] }>('chats', id);
    db.close();
    return { conversations: snapshot?.conversations.length ?? 0, messages: chat?.messages.length ?? 0 };
  }, conversationId);
}

/** Opens the family chat and waits until the device keeps it (and the list) for offline reading. */
async function openAndKeep(page: Page): Promise<void> {
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await conversationLink(page, 'The Smiths').click();
  await page.locator('.row', { hasText: 'Found them!' }).waitFor();
  const shown = await page.locator('.row[data-seq]').count();
  await expect.poll(() => kept(page, family.familyConversationId)).toEqual({ conversations: 2, messages: shown });
}

describe('offline', () => {
  for (const kind of ['phone', 'desktop'] as const) {
    it(`says "Offline" within 2 s of losing the network on a ${kind}, and reconnects at once when it returns`, async () => {
      const kid = await family.device(kind, 'kid');
      await conversationLink(kid, 'The Smiths').click();
      await kid.locator('.row', { hasText: 'Found them!' }).waitFor();
      await kid.context().setOffline(true);
      await offlineBanner(kid).waitFor({ timeout: 2_000 });
      await audit(kid, 'offline-banner');
      await kid.context().setOffline(false);
      // No backoff: the socket is back (no banner at all) well before the first retry would even start.
      await expect.poll(() => kid.locator('.banner').count(), { timeout: 3_000 }).toBe(0);
      await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body: `Back online (${kind})` }, mumToken);
      await kid.locator('.row.theirs', { hasText: `Back online (${kind})` }).waitFor();
      await kid.context().close();
    });
  }

  it('reloads offline into the kept list and chats, with the banner; a message typed offline goes out once when back', async () => {
    const mum = await family.device('desktop', 'mum');
    await openAndKeep(mum);
    await mum.context().setOffline(true);
    await mum.reload();
    await offlineBanner(mum).waitFor();
    await mum.locator('.row', { hasText: 'Who took the car keys?' }).waitFor();
    await conversationLink(mum, 'Kid').waitFor();
    expect(await mum.getByText('Cannot reach the server').count()).toBe(0);
    await audit(mum, 'offline-reload');

    await mum.getByLabel('Message', { exact: true }).fill('Typed offline');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await mum.locator('.row.pending', { hasText: 'Typed offline' }).waitFor();
    // The outbox survives a reload too.
    await mum.reload();
    await mum.locator('.row.pending', { hasText: 'Typed offline' }).waitFor();

    // A conversation never opened on this device.
    await conversationLink(mum, 'Kid').click();
    await mum.getByText('Not available offline').waitFor();
    await audit(mum, 'offline-not-available');

    await mum.context().setOffline(false);
    // Back online, it opens by itself.
    await mum.getByText('No messages yet. Say hello!').waitFor();
    expect(await mum.getByText('Not available offline').count()).toBe(0);
    await conversationLink(mum, 'The Smiths').click();
    await mine(mum, 'Typed offline').waitFor();
    await expect.poll(() => mum.locator('.banner').count()).toBe(0);
    const messages = await family.api('GET', `/conversations/${family.familyConversationId}/messages?limit=200`, undefined, mumToken);
    expect(messages.filter((m: { body: string }) => m.body === 'Typed offline')).toHaveLength(1);
    expect(await mum.locator('.row', { hasText: 'Typed offline' }).count()).toBe(1);
    expect(family.pageErrors).toEqual([]);
  });

  it('reloads offline on a phone into the list and a kept chat, and logging out leaves nothing on the device', async () => {
    const kid = await family.device('phone', 'kid');
    await openAndKeep(kid);
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await kid.context().setOffline(true);
    await kid.reload();
    await offlineBanner(kid).waitFor();
    await conversationLink(kid, 'The Smiths').waitFor();
    await audit(kid, 'offline-list');
    await conversationLink(kid, 'The Smiths').click();
    await kid.locator('.row', { hasText: 'Found them!' }).waitFor();
    await audit(kid, 'offline-chat');

    await kid.context().setOffline(false);
    await expect.poll(() => kid.locator('.banner').count()).toBe(0);
    await kid.getByRole('link', { name: 'Back to conversations' }).click();
    await kid.getByRole('link', { name: 'Settings' }).click();
    await kid.getByRole('button', { name: 'Log out', exact: true }).click();
    await kid.getByRole('heading', { name: 'Log in' }).waitFor();
    await expect.poll(() => kept(kid, family.familyConversationId)).toEqual({ conversations: 0, messages: 0 });
    expect(family.pageErrors).toEqual([]);
  });
});
