// The family page in the browser: the "Invite your family" prompt of a family nobody else is in, open invites
// (copy, share, revoke), role changes and removals that ask first and say what happened (or why not), password
// reset links, what members who are not admins see, and the invite page checking its link when opened.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { startFamily } from '../helpers/family.js';

let f: FamilyFixture;
let mum: Page;

beforeAll(async () => {
  f = await startFamily(['kid', 'gran']);
  mum = await f.device('desktop', 'mum', { permissions: ['clipboard-read', 'clipboard-write'] });
});
afterAll(() => f?.stop());

async function familyPage(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Family', exact: true }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
}

const member = (page: Page, username: string) => page.getByRole('list', { name: 'Members of The Smiths' }).locator(`li[data-user="${username}"]`);
const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();

describe('an admin', () => {
  it('is prompted to invite people into a family nobody else is in, and lands on the invite button', async () => {
    const phone = await f.device('phone', 'mum');
    expect(await phone.getByRole('heading', { name: 'Invite your family' }).count()).toBe(0);
    await f.api('POST', '/families', { name: 'The Joneses' }, f.members.mum!.token);
    await phone.reload();
    await phone.getByRole('heading', { name: 'Invite your family' }).waitFor();
    await phone.getByText('Nobody else is in The Joneses yet.').waitFor();
    await audit(phone, 'invite-prompt');
    await mum.reload();
    await mum.getByRole('heading', { name: 'Invite your family' }).waitFor();
    await audit(mum, 'invite-prompt');
    await phone.getByRole('link', { name: 'Create an invite link' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Families' }).waitFor();
    const joneses = phone.getByRole('article', { name: 'The Joneses' });
    await expect.poll(() => joneses.getByRole('button', { name: 'Create invite link' }).evaluate((b) => b === document.activeElement)).toBe(true);
    await joneses.getByRole('button', { name: 'Create invite link' }).click();
    await joneses.getByLabel(/^Invite link 1/).waitFor();
    await phone.getByRole('link', { name: 'Back to conversations' }).click();
    // An invite is out: the prompt stays until someone joined.
    const link = await f.api('POST', `/families/${(await f.api('GET', '/families', undefined, f.members.mum!.token)).find((x: any) => x.name === 'The Joneses').id}/invites`, {}, f.members.mum!.token);
    await f.api('POST', '/auth/register', { invite_token: link.token, username: 'cousin', password: 'correct horse battery', display_name: 'Cousin' });
    await phone.getByRole('heading', { name: 'Invite your family' }).waitFor({ state: 'detached' });
    await phone.context().close();
    await mum.reload();
  });

  it('creates an invite, copies it, sees it listed without its token elsewhere, and revokes it', async () => {
    await familyPage(mum);
    const smiths = mum.getByRole('article', { name: 'The Smiths' });
    const before = await smiths.getByRole('list', { name: 'Open invites of The Smiths' }).getByRole('listitem').count();
    await smiths.getByLabel('Joins as').selectOption('admin');
    await smiths.getByRole('button', { name: 'Create invite link' }).click();
    await status(mum, 'Invite link created.');
    const invites = smiths.getByRole('list', { name: 'Open invites of The Smiths' }).getByRole('listitem');
    await expect.poll(() => invites.count()).toBe(before + 1);
    const newest = invites.first();
    expect(await newest.textContent()).toContain('Admin invite · created by Mum · valid until');
    const link = await newest.getByRole('textbox').inputValue();
    expect(link).toMatch(new RegExp(`^${f.server.url}/invite/fci_`));
    await newest.getByRole('button', { name: 'Copy invite link 1' }).click();
    await newest.getByRole('button', { name: 'Copied invite link 1' }).waitFor();
    expect(await mum.evaluate(() => navigator.clipboard.readText())).toBe(link);
    // No Web Share on a desktop Chromium: no Share button.
    expect(await newest.getByRole('button', { name: /^Share/ }).count()).toBe(0);
    await audit(mum, 'family-invites');
    // The link survives a reload of this tab; another device lists the invite without it.
    await mum.reload();
    expect(await smiths.getByRole('list', { name: 'Open invites of The Smiths' }).getByRole('listitem').first().getByRole('textbox').inputValue()).toBe(link);
    const phone = await f.device('phone', 'mum');
    await familyPage(phone);
    const listed = phone.getByRole('article', { name: 'The Smiths' }).getByRole('list', { name: 'Open invites of The Smiths' }).getByRole('listitem').first();
    await listed.getByText('Created on another device').waitFor();
    expect(await listed.getByRole('textbox').count()).toBe(0);

    await smiths.getByRole('button', { name: 'Revoke invite 1' }).click();
    await status(mum, 'Invite revoked: its link no longer works.');
    await expect.poll(() => invites.count()).toBe(before);
    const invitee = await f.open('phone', 'invitee');
    await invitee.goto(link);
    await invitee.getByRole('heading', { level: 1, name: 'This invite link can no longer be used' }).waitFor();
    await invitee.getByText('This invite link has expired or was already used. Ask Mum for a new one.').waitFor();
    expect(await invitee.getByLabel('Username').count()).toBe(0);
    await invitee.context().close();
    await phone.context().close();
  });

  it('shares an invite link with the Web Share sheet on a phone', async () => {
    const phone = await f.device('phone', 'mum');
    await phone.evaluate(() => {
      const shared: ShareData[] = [];
      (window as unknown as { shared: ShareData[] }).shared = shared;
      Object.defineProperty(navigator, 'share', { configurable: true, value: (data: ShareData) => Promise.resolve(void shared.push(data)) });
    });
    await familyPage(phone);
    const smiths = phone.getByRole('article', { name: 'The Smiths' });
    await smiths.getByRole('button', { name: 'Create invite link' }).click();
    const newest = smiths.getByRole('list', { name: 'Open invites of The Smiths' }).getByRole('listitem').first();
    const link = await newest.getByRole('textbox').inputValue();
    await newest.getByRole('button', { name: 'Share invite link 1' }).click();
    await expect.poll(() => phone.evaluate(() => (window as unknown as { shared: ShareData[] }).shared)).toEqual([
      { title: 'Join The Smiths on our family chat', text: 'Join The Smiths on our family chat', url: link },
    ]);
    await newest.scrollIntoViewIfNeeded();
    await audit(phone, 'family-invites');
    await phone.context().close();
  });

  it('changes a role only after confirming, says so, and shows why the last admin cannot step down', async () => {
    await familyPage(mum);
    const smiths = mum.getByRole('article', { name: 'The Smiths' });
    await smiths.getByRole('button', { name: 'Make Kid an admin' }).click();
    await smiths.getByRole('group', { name: 'Make Kid an admin of The Smiths?' }).waitFor();
    await audit(mum, 'family-confirm-role');
    await smiths.getByRole('button', { name: 'Cancel' }).click();
    expect(await member(mum, 'kid').locator('.member-role').textContent()).toBe('Member');
    const role = async () => (await f.api('GET', `/families/${f.familyId}`, undefined, f.members.mum!.token)).members.find((m: any) => m.user.username === 'kid').role;
    expect(await role()).toBe('member');

    await smiths.getByRole('button', { name: 'Make Kid an admin' }).click();
    await smiths.getByRole('button', { name: 'Confirm' }).click();
    await status(mum, 'Kid is now an admin.');
    await expect.poll(() => member(mum, 'kid').locator('.member-role').textContent()).toBe('Admin');
    expect(await role()).toBe('admin');
    await smiths.getByRole('button', { name: 'Make Kid a member' }).click();
    await smiths.getByRole('button', { name: 'Confirm' }).click();
    await status(mum, 'Kid is now a member.');
    // Mum is the only admin left: stepping down is refused, with the reason.
    await smiths.getByRole('button', { name: 'Make Mum a member' }).click();
    await smiths.getByRole('button', { name: 'Confirm' }).click();
    await smiths.getByRole('alert').filter({ hasText: 'A family needs at least one admin. Make someone else an admin first.' }).waitFor();
    expect(await member(mum, 'mum').locator('.member-role').textContent()).toBe('Admin');
  });

  it('gives a member a password-reset link to copy, which opens the reset page', async () => {
    const smiths = mum.getByRole('article', { name: 'The Smiths' });
    await smiths.getByRole('button', { name: 'Password reset link for Kid' }).click();
    const input = smiths.getByLabel(/^Password reset link for Kid \(single use, valid until /);
    const link = await input.inputValue();
    expect(link).toMatch(new RegExp(`^${f.server.url}/reset/fcr_`));
    await smiths.getByRole('button', { name: 'Copy password reset link for Kid' }).click();
    expect(await mum.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await audit(mum, 'family-reset-link');
    const kid = await f.open('phone', 'kid (reset)');
    await kid.goto(link);
    await kid.getByText('Choose a new password for Kid (@kid).').waitFor();
    await kid.context().close();
  });

  it('removes a member after confirming', async () => {
    const smiths = mum.getByRole('article', { name: 'The Smiths' });
    await smiths.getByRole('button', { name: 'Remove Gran' }).click();
    await smiths.getByRole('group', { name: /^Remove Gran from The Smiths\?/ }).waitFor();
    await smiths.getByRole('button', { name: 'Yes, remove Gran' }).click();
    await status(mum, 'Gran was removed from The Smiths.');
    await expect.poll(() => member(mum, 'gran').count()).toBe(0);
    const family = await f.api('GET', `/families/${f.familyId}`, undefined, f.members.mum!.token);
    expect(family.members.map((m: any) => m.user.username).sort()).toEqual(['kid', 'mum']);
  });
});

describe('a member who is not an admin', () => {
  it('sees the family and its members, read-only', async () => {
    const kid = await f.device('phone', 'kid');
    await familyPage(kid);
    const smiths = kid.getByRole('article', { name: 'The Smiths' });
    await member(kid, 'mum').waitFor();
    expect(await member(kid, 'mum').locator('.member-role').textContent()).toBe('Admin');
    expect(await smiths.getByRole('button').count()).toBe(0);
    await smiths.getByText('Only family admins can invite people or change roles.').waitFor();
    await audit(kid, 'family-member');
    await kid.context().close();
  });
});

describe('the invite page', () => {
  it('says who invites you to which family before the form, and why a bogus link cannot be used', async () => {
    const invite = await f.api('POST', `/families/${f.familyId}/invites`, { role: 'admin' }, f.members.mum!.token);
    const page = await f.open('phone', 'newcomer');
    await page.goto(`/invite/${invite.token}`);
    await page.getByRole('heading', { level: 1, name: "You're invited" }).waitFor();
    expect(await page.locator('.invite-preview').textContent()).toBe('Mum invites you to The Smiths, as an admin.');
    await page.getByLabel('Username').waitFor();
    await audit(page, 'invite-preview');
    await page.goto('/invite/fci_bogus');
    await page.getByRole('heading', { level: 1, name: 'This invite link is not valid' }).waitFor();
    expect(await page.getByLabel('Username').count()).toBe(0);
    await audit(page, 'invite-invalid');
    const desktop = await f.open('desktop', 'newcomer (desktop)');
    await desktop.goto(`/invite/${invite.token}`);
    await desktop.getByText('Mum invites you to The Smiths').waitFor();
    await audit(desktop, 'invite-preview');
    await desktop.getByLabel('Your name').fill('Aunt May');
    await desktop.getByLabel('Username').fill('may');
    await desktop.getByLabel('Password').fill('correct horse battery');
    await desktop.getByRole('button', { name: 'Join the family' }).click();
    await desktop.getByRole('heading', { name: 'The Smiths' }).waitFor();
    // Used now: the phone that still has the link is told so, and whom to ask.
    await page.goto(`/invite/${invite.token}`);
    await page.getByText('Ask Mum for a new one.').waitFor();
    await audit(page, 'invite-used');
    await page.context().close();
    await desktop.context().close();
    expect(f.pageErrors).toEqual([]);
  });
});
