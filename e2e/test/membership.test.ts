// Membership changes in the browser: "Gran joined" shows in the family chat when a new member registers, and
// a member removed from the family sees at once, on every open device, that they are no longer in its chats
// (history gone, composer off, the chats gone from the list), while the family hears no more of them and they
// none of the family. Production build, real server, fresh PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { PASSWORD, conversationLink, startFamily } from '../helpers/family.js';

let family: FamilyFixture;
let mumToken: string;

beforeAll(async () => {
  family = await startFamily(['kid']);
  mumToken = family.members.mum!.token;
  await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body: 'Welcome, everyone' }, mumToken);
});

afterAll(async () => {
  await family?.stop();
});

const notice = (text: string) => `.system-notice:has-text("${text}")`;

describe('membership changes', () => {
  it('shows "Gran joined" in the family chat on every open device when a new member registers', async () => {
    const mum = await family.device('desktop', 'mum');
    const kid = await family.device('phone', 'kid');
    for (const page of [mum, kid]) {
      await conversationLink(page, 'The Smiths').click();
      await page.locator('.row', { hasText: 'Welcome, everyone' }).waitFor();
    }
    expect(await mum.locator(notice('Gran joined')).count()).toBe(0);
    const invite = await family.api('POST', `/families/${family.familyId}/invites`, {}, mumToken);
    const gran = await family.api('POST', '/auth/register', { invite_token: invite.token, username: 'gran', password: PASSWORD, display_name: 'Gran' });
    family.members.gran = { user: gran.user, token: gran.token };
    for (const page of [mum, kid]) await page.locator(notice('Gran joined')).waitFor();
    await mum.getByText('3 members').waitFor();
    // From the member list: it stays after a reload.
    await mum.reload();
    await mum.locator(notice('Gran joined')).waitFor();
    await audit(mum, 'family-joined');
    await audit(kid, 'family-joined');
    await mum.context().close();
    await kid.context().close();
  });

  it('tells a removed member at once on every device, drops the chats from their list, and sends them nothing more', async () => {
    const kidId = family.members.kid!.user.id;
    const granId = family.members.gran!.user.id;
    await family.api('POST', '/conversations', { type: 'group', family_id: family.familyId, title: 'Cousins', participant_ids: [kidId, granId] }, mumToken);
    const kidDesktop = await family.device('desktop', 'kid');
    const kidPhone = await family.device('phone', 'kid');
    const gran = await family.device('phone', 'gran');
    await conversationLink(kidDesktop, 'The Smiths').click();
    await kidDesktop.locator('.row', { hasText: 'Welcome, everyone' }).waitFor();
    await conversationLink(kidPhone, 'Cousins').click();
    await kidPhone.getByRole('heading', { name: 'Cousins' }).waitFor();
    await conversationLink(gran, 'The Smiths').click();
    await gran.locator('.row', { hasText: 'Welcome, everyone' }).waitFor();

    await family.api('DELETE', `/families/${family.familyId}/members/${kidId}`, undefined, mumToken);
    for (const page of [kidDesktop, kidPhone]) {
      await page.getByText('You are no longer in this conversation').waitFor();
      expect(await page.getByLabel('Message', { exact: true }).isDisabled()).toBe(true);
    }
    // The history and the member count are gone; the list drops both chats without a reload.
    expect(await kidDesktop.locator('.row', { hasText: 'Welcome, everyone' }).count()).toBe(0);
    expect(await kidDesktop.getByText(/\d+ members/).count()).toBe(0);
    await expect.poll(() => conversationLink(kidDesktop, 'The Smiths').count()).toBe(0);
    await expect.poll(() => conversationLink(kidDesktop, 'Cousins').count()).toBe(0);
    await gran.locator(notice('Kid left')).waitFor();
    await gran.getByText('2 members').waitFor();

    // A marker sent afterwards reaches Gran, and never Kid.
    await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body: 'Marker after the removal' }, mumToken);
    await gran.locator('.row.theirs', { hasText: 'Marker after the removal' }).waitFor();
    for (const page of [kidDesktop, kidPhone]) expect(await page.getByText('Marker after the removal').count()).toBe(0);

    await audit(kidDesktop, 'removed-from-conversation');
    await audit(kidPhone, 'removed-from-conversation');
    await audit(gran, 'family-left');
    expect(family.pageErrors).toEqual([]);
  });
});
