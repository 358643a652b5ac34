// The conversation list around the chat: previews follow edits and deletes on every device, and the tab title
// carries the unread total. Production build, real server, fresh PostgreSQL database.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, startFamily } from '../helpers/family.js';

let family: FamilyFixture;
let mumToken: string;

beforeAll(async () => {
  family = await startFamily(['kid']);
  mumToken = family.members.mum!.token;
});

afterAll(async () => {
  await family?.stop();
});

const preview = (page: Page, title: string) => conversationLink(page, title).locator('.preview');

describe('the conversation list', () => {
  it('shows the unread total in the tab title, and the bare name once read', async () => {
    const kid = await family.device('desktop', 'kid');
    expect(await kid.title()).toBe('Famichat');
    for (const body of ['Who is home?', 'Anyone?']) await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body }, mumToken);
    await expect.poll(() => kid.title()).toBe('(2) Famichat');
    await audit(kid, 'list-unread-title');
    await conversationLink(kid, 'The Smiths').click();
    await kid.locator('.row.theirs', { hasText: 'Anyone?' }).waitFor();
    await expect.poll(() => kid.title()).toBe('Famichat');
    expect(family.pageErrors).toEqual([]);
  });

  it('follows an edit and a delete of the last message on every device, without a reload', async () => {
    const kid = await family.device('desktop', 'kid');
    const mum = await family.device('desktop', 'mum');
    const direct = await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid!.user.id }, mumToken);
    const sent = await family.api('POST', `/conversations/${direct.id}/messages`, { body: 'Dinner at 7?' }, mumToken);
    // Mum has the chat open (its live message events); Kid only has the list (the user topic's updates).
    await conversationLink(mum, 'Kid').click();
    await mum.locator('.row.mine', { hasText: 'Dinner at 7?' }).waitFor();
    await preview(kid, 'Mum').getByText('Dinner at 7?').waitFor();
    await preview(mum, 'Kid').getByText('You: Dinner at 7?').waitFor();

    await family.api('PATCH', `/conversations/${direct.id}/messages/${sent.id}`, { body: 'Dinner at 8?' }, mumToken);
    await preview(kid, 'Mum').getByText('Dinner at 8?').waitFor();
    await preview(mum, 'Kid').getByText('You: Dinner at 8?').waitFor();

    await family.api('DELETE', `/conversations/${direct.id}/messages/${sent.id}`, undefined, mumToken);
    await preview(kid, 'Mum').getByText('Message deleted').waitFor();
    await preview(mum, 'Kid').getByText('Message deleted').waitFor();
    await audit(kid, 'list-deleted-preview');
    expect(await kid.getByText('Dinner at').count()).toBe(0);
    expect(family.pageErrors).toEqual([]);
  });
});
