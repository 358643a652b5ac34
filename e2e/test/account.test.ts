// One's own account in the browser: the display name, the password (with the current one, errors beside the
// fields), the devices logged in (this one marked; log out one or all others, which end at once), and the
// password-reset page an admin's link leads to.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { PASSWORD, startFamily } from '../helpers/family.js';

let f: FamilyFixture;

beforeAll(async () => {
  f = await startFamily(['kid', 'gran']);
});
afterAll(() => f?.stop());

async function settings(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
}

/** Waits until a device's session ended and it shows the login form. */
const loggedOut = (page: Page) => page.getByRole('heading', { name: 'Log in' }).waitFor();

describe('settings', () => {
  it('changes the display name, and the family sees the new one', async () => {
    const gran = await f.device('phone', 'gran');
    await settings(gran);
    await gran.getByLabel('Display name').fill('Granny');
    await gran.getByRole('button', { name: 'Save name' }).click();
    await gran.getByRole('status').filter({ hasText: 'Your name is now Granny.' }).waitFor();
    await gran.getByText('Logged in as').getByText('Granny').waitFor();
    const family = await f.api('GET', `/families/${f.familyId}`, undefined, f.members.mum!.token);
    expect(family.members.find((m: any) => m.user.username === 'gran').user.display_name).toBe('Granny');
    await gran.context().close();
  });

  it('shows a wrong current password beside its field, then changes it and logs the other devices out', async () => {
    const desktop = await f.device('desktop', 'kid');
    const phone = await f.device('phone', 'kid');
    await settings(desktop);
    await desktop.getByLabel('Current password').fill('not my password');
    await desktop.getByLabel('New password').fill('a brand new secret');
    await desktop.getByRole('button', { name: 'Change password' }).click();
    const current = desktop.getByLabel('Current password');
    await expect.poll(() => current.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await current.getAttribute('aria-describedby'))!;
    expect(await desktop.locator(`[id="${describedBy}"]`).textContent()).toBe('That is not your current password.');
    await audit(desktop, 'settings-password-error');
    // The phone is still logged in.
    expect(await phone.getByRole('button', { name: 'New chat' }).isVisible()).toBe(true);

    await current.fill(PASSWORD);
    await desktop.getByRole('button', { name: 'Change password' }).click();
    await desktop.getByRole('status').filter({ hasText: 'Password changed. Your other devices were logged out.' }).waitFor();
    expect(await current.getAttribute('aria-invalid')).toBeNull();
    expect(await current.inputValue()).toBe('');
    // The phone's session ended at once: its socket was closed and it is back at the login form.
    await loggedOut(phone);
    // The device list reloads: only this device is left.
    await expect.poll(() => desktop.getByRole('list', { name: 'Devices logged in to your account' }).getByRole('listitem').count()).toBe(1);
    // The new password works, the old one not any more.
    await phone.getByLabel('Username').fill('kid');
    await phone.getByLabel('Password').fill(PASSWORD);
    await phone.getByRole('button', { name: 'Log in' }).click();
    await phone.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    await phone.getByLabel('Password').fill('a brand new secret');
    await phone.getByRole('button', { name: 'Log in' }).click();
    await phone.getByRole('button', { name: 'New chat' }).waitFor();
    await phone.context().close();
    await desktop.context().close();
  });

  it('lists the devices with this one marked, and logs out one of them or all the others', async () => {
    const desktop = await f.device('desktop', 'mum');
    const phone = await f.device('phone', 'mum');
    const tablet = await f.device('phone', 'mum');
    await settings(phone);
    const devices = phone.getByRole('list', { name: 'Devices logged in to your account' });
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(4);
    const here = devices.getByRole('listitem').filter({ hasText: 'This device' });
    expect(await here.count()).toBe(1);
    expect(await here.getByRole('button').count()).toBe(0);
    expect(await devices.getByText(/^Last seen /).count()).toBe(4);
    await audit(phone, 'settings');

    // One device: the tablet.
    const tabletSession = (await f.api('GET', '/me/sessions', undefined, await tokenOf(tablet))).find((s: any) => s.current).id as string;
    expect(await devices.getByRole('button', { name: /^Log out device \d/ }).count()).toBe(3);
    await devices.locator(`li[data-session="${tabletSession}"]`).getByRole('button').click();
    await phone.getByRole('status').filter({ hasText: 'was logged out.' }).waitFor();
    await loggedOut(tablet);
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(3);
    expect(await desktop.getByRole('button', { name: 'New chat' }).isVisible()).toBe(true);

    await phone.getByRole('button', { name: 'Log out other devices' }).click();
    await phone.getByRole('status').filter({ hasText: /Your 2 other devices were logged out\./ }).waitFor();
    await loggedOut(desktop);
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(1);
    expect(await phone.getByRole('button', { name: 'Log out other devices' }).count()).toBe(0);
    await desktop.goto('/');
    await desktop.getByLabel('Username').fill('mum');
    await desktop.getByLabel('Password').fill(PASSWORD);
    await desktop.getByRole('button', { name: 'Log in' }).click();
    await settings(desktop);
    await expect.poll(() => desktop.getByRole('list', { name: 'Devices logged in to your account' }).getByRole('listitem').count()).toBe(2);
    await audit(desktop, 'settings');
    for (const page of [desktop, phone, tablet]) await page.context().close();
  });
});

/** A fresh token of Mum's (the devices test logged her other sessions out). */
const mumToken = async () => ((await f.api('POST', '/auth/login', { username: 'mum', password: PASSWORD })) as { token: string }).token;

/** The token a page is logged in with. */
const tokenOf = (page: Page) => page.evaluate(() => localStorage.getItem('famichat.token')!);

describe('the password-reset page', () => {
  it("names whose password it resets, sets it, logs in and ends that person's other sessions", async () => {
    const old = await f.device('desktop', 'gran');
    const { token } = await f.api('POST', `/families/${f.familyId}/members/${f.members.gran!.user.id}/password-reset`, undefined, await mumToken());
    const page = await f.open('phone', 'gran (reset)');
    await page.goto(`/reset/${token}`);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    await page.getByText('Choose a new password for Granny (@gran).').waitFor();
    await audit(page, 'reset-password');
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('New password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
    await page.getByRole('button', { name: 'Set password and log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'must be 8-256 characters' }).waitFor();
    await page.getByLabel('New password').fill('granny’s new secret');
    await page.getByRole('button', { name: 'Set password and log in' }).click();
    await page.getByRole('button', { name: 'New chat' }).waitFor();
    await page.waitForURL(`${f.server.url}/`);
    await loggedOut(old);
    const me = await f.api('GET', '/me', undefined, await tokenOf(page));
    expect(me.username).toBe('gran');

    // Single use: the same link now says so, with no form.
    const again = await f.open('desktop', 'reset reused');
    await again.goto(`/reset/${token}`);
    await again.getByRole('heading', { level: 1, name: 'This password reset link can no longer be used' }).waitFor();
    await again.getByText('Ask a family admin for a new one.').waitFor();
    expect(await again.getByLabel('New password').count()).toBe(0);
    await audit(again, 'reset-password-used');
    await again.goto('/reset/fcr_not-a-real-link');
    await again.getByRole('heading', { level: 1, name: 'This password reset link is not valid' }).waitFor();
    expect(await again.getByLabel('New password').count()).toBe(0);
    for (const p of [old, page, again]) await p.context().close();
  });

  it('looks right on a desktop', async () => {
    const { token } = await f.api('POST', `/families/${f.familyId}/members/${f.members.kid!.user.id}/password-reset`, undefined, await mumToken());
    const page = await f.open('desktop', 'kid (reset)');
    await page.goto(`/reset/${token}`);
    await page.getByText('Choose a new password for Kid (@kid).').waitFor();
    await audit(page, 'reset-password');
    await page.context().close();
    expect(f.pageErrors).toEqual([]);
  });
});
