// Read receipts in the browser: Mum writes to Kid, Kid opens the chat (reading it), and "Seen by Kid" shows
// under Mum's message live, after a reload, on a second device of Mum's that was on the list when Kid read,
// and on a device that logs in afterwards. Production build, real server, fresh PostgreSQL database.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, mine, startFamily } from '../helpers/family.js';

let family: FamilyFixture;
const device = (kind: 'phone' | 'desktop', username: string): Promise<Page> => family.device(kind, username);

beforeAll(async () => {
  family = await startFamily(['kid']);
  await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid?.user.id }, family.members.mum?.token);
});

afterAll(async () => {
  await family?.stop();
});

describe('read receipts', () => {
  it('shows "Seen by" live, after a reload, and on every device of the sender', async () => {
    const mum = await device('desktop', 'mum');
    // Mum's second device stays on the conversation list while Kid reads.
    const mumPhone = await device('phone', 'mum');
    await conversationLink(mum, 'Kid').click();
    await mum.getByRole('heading', { name: 'Kid' }).waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('Homework done?');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await mine(mum, 'Homework done?').getByText('Sent').waitFor();
    expect(await mum.getByText(/^Seen by/).count()).toBe(0);

    const kid = await device('phone', 'kid');
    await conversationLink(kid, 'Mum').click();
    await kid.locator('.row.theirs', { hasText: 'Homework done?' }).waitFor();
    await audit(kid, 'direct');

    // Live, from Kid's read.
    await mine(mum, 'Homework done?').getByText('Seen by Kid').waitFor();
    // After a reload: from the conversation's read_up_to.
    await mum.reload();
    await mine(mum, 'Homework done?').getByText('Seen by Kid').waitFor();
    await mum.locator('.chat-title').getByText('online', { exact: true }).waitFor();
    await audit(mum, 'seen-by');
    // The device that was on the list heard of the read (conversation_updated) and shows it on opening the chat.
    await conversationLink(mumPhone, 'Kid').click();
    await mine(mumPhone, 'Homework done?').getByText('Seen by Kid').waitFor();
    await audit(mumPhone, 'seen-by');
    // A device that logs in afterwards shows it too.
    const mumLaptop = await device('desktop', 'mum');
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
    expect(family.pageErrors).toEqual([]);
  });
});
