// Profile pictures in the browser: Mum chooses one in Settings (uploaded, then set with PATCH /me); Kid sees it
// in the conversation list, the chat header, beside Mum's messages in the family chat and in the family's member
// list; after Mum removes it, everyone sees her initials again. Audited with axe-core in every theme.
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, startFamily } from '../helpers/family.js';
import { picture } from '../helpers/sample-media.js';

let family: FamilyFixture;
let picturePath = '';

beforeAll(async () => {
  family = await startFamily(['kid']);
  const mum = family.members.mum!;
  await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid!.user.id }, mum.token);
  await family.api('POST', `/conversations/${family.familyConversationId}/messages`, { body: 'Dinner is at 7' }, mum.token);
  const file = await picture(512, '#a3306b', 'mum.png');
  picturePath = join(mkdtempSync(join(tmpdir(), 'famichat-avatar-')), file.filename);
  writeFileSync(picturePath, file.bytes);
});

afterAll(async () => {
  await family?.stop();
});

/** Whether `avatar` shows a loaded picture (true) or initials (false). */
async function showsPicture(avatar: Locator): Promise<boolean> {
  await avatar.waitFor();
  if ((await avatar.getAttribute('data-avatar')) !== 'picture') return false;
  await avatar.locator('img').evaluate((img: HTMLImageElement) => (img.complete ? undefined : new Promise((resolve) => img.addEventListener('load', resolve, { once: true }))));
  return avatar.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth > 0);
}

/** Where Kid sees Mum's avatar: the list, the direct chat's header, the family chat and the member list. */
async function mumAsKidSeesHer(kid: Page): Promise<boolean[]> {
  await kid.goto('/');
  const seen: boolean[] = [];
  seen.push(await showsPicture(conversationLink(kid, 'Mum').locator('.avatar')));
  await conversationLink(kid, 'Mum').click();
  await kid.getByRole('heading', { name: 'Mum' }).waitFor();
  seen.push(await showsPicture(kid.locator('.chat-header .avatar')));
  await conversationLink(kid, 'The Smiths').click();
  const row = kid.locator('.row.theirs', { hasText: 'Dinner is at 7' });
  seen.push(await showsPicture(row.locator('.sender .avatar')));
  await kid.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Family' }).click();
  seen.push(await showsPicture(kid.locator('.member[data-user="mum"] .avatar')));
  return seen;
}

describe('profile pictures', () => {
  it('are chosen in Settings and shown to the family; removed, the initials come back', async () => {
    const kid = await family.device('desktop', 'kid');
    expect(await mumAsKidSeesHer(kid)).toEqual([false, false, false, false]);
    // Initials on the person's colour meanwhile.
    expect(await conversationLink(kid, 'Mum').locator('.avatar').textContent()).toBe('M');

    const mum = await family.device('desktop', 'mum');
    await mum.getByRole('link', { name: 'Settings' }).click();
    const section = mum.getByRole('region', { name: 'Profile picture' });
    await section.getByRole('img', { name: 'Mum' }).waitFor();
    await section.getByLabel('Choose a picture').setInputFiles(picturePath);
    await section.getByRole('status').filter({ hasText: 'Your profile picture was updated.' }).waitFor();
    expect(await showsPicture(section.locator('.avatar'))).toBe(true);
    expect(await section.getByRole('button', { name: 'Remove picture' }).isVisible()).toBe(true);
    await audit(mum, 'settings-avatar');
    // A reload keeps it: it is Mum's, stored by the server.
    await mum.reload();
    expect(await showsPicture(mum.getByRole('region', { name: 'Profile picture' }).locator('.avatar'))).toBe(true);

    expect(await mumAsKidSeesHer(kid)).toEqual([true, true, true, true]);
    await audit(kid, 'family-avatars');

    await mum.getByRole('region', { name: 'Profile picture' }).getByRole('button', { name: 'Remove picture' }).click();
    await mum.getByRole('status').filter({ hasText: 'Your profile picture was removed.' }).waitFor();
    expect(await showsPicture(mum.getByRole('region', { name: 'Profile picture' }).locator('.avatar'))).toBe(false);
    expect(await mumAsKidSeesHer(kid)).toEqual([false, false, false, false]);
    expect(family.pageErrors).toEqual([]);
  });

  it('refuses a file that is not a picture, saying why', async () => {
    const mum = await family.device('phone', 'mum');
    await mum.getByRole('link', { name: 'Settings' }).click();
    const text = join(mkdtempSync(join(tmpdir(), 'famichat-avatar-')), 'notes.txt');
    writeFileSync(text, 'not a picture');
    await mum.getByRole('region', { name: 'Profile picture' }).getByLabel('Choose a picture').setInputFiles(text);
    await mum.getByRole('alert').filter({ hasText: 'Choose a picture' }).waitFor();
  });
});
