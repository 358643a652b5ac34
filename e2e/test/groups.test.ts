// Group management in the browser: the group chat's title opens its details (a dialog), where the group's
// admin renames it and adds or removes family members, a member who is not its admin is told why they may not,
// and anyone leaves it.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { startFamily } from '../helpers/family.js';

let f: FamilyFixture;
let groupId: string;

beforeAll(async () => {
  f = await startFamily(['kid', 'gran']);
  const group = await f.api('POST', '/conversations', { type: 'group', family_id: f.familyId, title: 'Tea party', participant_ids: [f.members.kid!.user.id] }, f.members.mum!.token);
  groupId = group.id as string;
});
afterAll(() => f?.stop());

/** Opens the group's chat and its details dialog. */
async function openDetails(page: Page, title: string) {
  await page.getByRole('link', { name: new RegExp(`^${title}`) }).click();
  await page.getByRole('heading', { name: title }).waitFor();
  await page.getByRole('button', { name: `${title}: group details` }).click();
  const dialog = page.getByRole('dialog', { name: 'Group details' });
  await dialog.waitFor();
  return dialog;
}

const participants = async () =>
  ((await f.api('GET', `/conversations/${groupId}`, undefined, f.members.mum!.token)).participants as Array<{ display_name: string }>).map((p) => p.display_name).sort();

describe('group details', () => {
  it('lets the group admin rename the group and add and remove family members', async () => {
    const mum = await f.device('desktop', 'mum');
    const dialog = await openDetails(mum, 'Tea party');
    await dialog.getByRole('heading', { name: '2 people' }).waitFor();
    await audit(mum, 'group-details');
    await dialog.getByLabel('Group name').fill('Tea time');
    await dialog.getByRole('button', { name: 'Rename group' }).click();
    await dialog.getByRole('status').filter({ hasText: 'The group is now called Tea time.' }).waitFor();
    // The chat behind the dialog and the list follow.
    await mum.getByRole('heading', { name: 'Tea time' }).waitFor();
    await mum.getByRole('link', { name: /^Tea time/ }).waitFor();

    await dialog.getByLabel('Add a family member').selectOption({ label: 'Gran' });
    await dialog.getByRole('button', { name: 'Add to group' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Gran was added.' }).waitFor();
    await dialog.getByRole('heading', { name: '3 people' }).waitFor();
    expect(await participants()).toEqual(['Gran', 'Kid', 'Mum']);
    await dialog.getByText('Everyone in the family is in this group.').waitFor();

    await dialog.getByRole('button', { name: 'Remove Kid from the group' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Kid was removed from the group.' }).waitFor();
    await dialog.getByRole('heading', { name: '2 people' }).waitFor();
    expect(await participants()).toEqual(['Gran', 'Mum']);
    // Escape closes the dialog, back on the chat.
    await mum.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await mum.getByLabel('Message', { exact: true }).waitFor();
    await mum.context().close();
  });

  it('tells a member who is not the group admin why they may not rename it, and lets them leave', async () => {
    const gran = await f.device('phone', 'gran');
    const dialog = await openDetails(gran, 'Tea time');
    await audit(gran, 'group-details');
    await dialog.getByLabel('Group name').fill('Gran’s group');
    await dialog.getByRole('button', { name: 'Rename group' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Only a group admin can rename the group.' }).waitFor();
    expect((await f.api('GET', `/conversations/${groupId}`, undefined, f.members.mum!.token)).title).toBe('Tea time');

    await dialog.getByRole('button', { name: 'Leave group' }).click();
    await dialog.getByRole('group', { name: /^Leave Tea time\?/ }).waitFor();
    await audit(gran, 'group-leave');
    await dialog.getByRole('button', { name: 'Yes, leave the group' }).click();
    await gran.waitForURL(`${f.server.url}/`);
    await gran.getByRole('button', { name: 'New chat' }).waitFor();
    expect(await gran.getByRole('link', { name: /^Tea time/ }).count()).toBe(0);
    expect(await participants()).toEqual(['Mum']);
    await gran.context().close();
    expect(f.pageErrors).toEqual([]);
  });
});
