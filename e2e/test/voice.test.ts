// Voice messages in Chromium with its fake microphone (a beep; no permission prompt): tap to record, the timer
// runs, Send; hold to record and release to send; Cancel and sliding away record nothing; a microphone the
// browser refuses says so in the composer. The other member receives an audio attachment with its length.
// The recording state is audited with axe-core in every theme.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import { CHROMIUM, newContext } from '../helpers/browser.js';
import type { FamilyFixture } from '../helpers/family.js';
import { PASSWORD, conversationLink, mine, startFamily } from '../helpers/family.js';

interface StoredAttachment { filename: string; kind: string; mime_type: string; duration_ms: number | null; size_bytes: number }
interface StoredMessage { body: string; attachments: StoredAttachment[] }

let family: FamilyFixture;
let directId = '';
let mediaDir = '';

beforeAll(async () => {
  mediaDir = mkdtempSync(join(tmpdir(), 'famichat-e2e-voice-'));
  family = await startFamily(['kid'], { FAMICHAT_MEDIA_DIR: mediaDir });
  const direct = await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid?.user.id }, family.members.mum?.token);
  directId = direct.id;
});

afterAll(async () => {
  await family?.stop();
  if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
});

/** The voice messages of the direct conversation, as Kid reads them over the API. */
async function voiceMessages(): Promise<StoredAttachment[]> {
  const all = (await family.api('GET', `/conversations/${directId}/messages?limit=200`, undefined, family.members.kid?.token)) as StoredMessage[];
  return all.flatMap((m) => m.attachments).filter((a) => a.filename.startsWith('Voice message'));
}

async function openChat(kind: 'desktop' | 'phone', who: 'mum' | 'kid' = 'mum'): Promise<Page> {
  const page = await family.device(kind, who);
  await conversationLink(page, who === 'mum' ? 'Kid' : 'Mum').click();
  await page.getByRole('heading', { name: who === 'mum' ? 'Kid' : 'Mum' }).waitFor();
  return page;
}

const mic = (page: Page) => page.getByRole('button', { name: 'Record voice message' });
const timer = (page: Page) => page.getByRole('timer');
const bar = (page: Page) => page.getByRole('group', { name: 'Recording a voice message' });

/** Waits until the recording timer shows at least `seconds`. */
async function recordedAtLeast(page: Page, seconds: number): Promise<void> {
  await expect
    .poll(async () => {
      const [m = '0', s = '0'] = ((await timer(page).textContent()) ?? '').split(':');
      return Number(m) * 60 + Number(s);
    }, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(seconds);
}

async function marker(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await mine(page, text).waitFor();
}

describe('voice messages', () => {
  it('tap to record: the timer runs, Send delivers an audio message with its length to the other member', async () => {
    const mum = await openChat('desktop');
    const kid = await openChat('phone', 'kid');
    // The microphone shows while the box is empty; text turns it into Send.
    await mum.getByLabel('Message', { exact: true }).fill('x');
    expect(await mic(mum).count()).toBe(0);
    await mum.getByLabel('Message', { exact: true }).fill('');
    await mic(mum).click();
    await bar(mum).waitFor();
    await recordedAtLeast(mum, 2);
    expect(await timer(mum).textContent()).toMatch(/^0:0\d$/);
    await audit(mum, 'recording');
    const before = await kid.locator('.row.theirs').count();
    await mum.getByRole('button', { name: 'Send voice message' }).click();
    await expect.poll(() => bar(mum).count()).toBe(0);
    await expect.poll(async () => (await voiceMessages()).length, { timeout: 20_000 }).toBe(1);
    const [voice] = await voiceMessages();
    expect(voice).toMatchObject({ kind: 'audio' });
    expect(voice!.mime_type).toMatch(/^audio\/webm/);
    expect(voice!.filename).toMatch(/^Voice message \d{4}-\d\d-\d\d \d\d-\d\d\.webm$/);
    expect(voice!.duration_ms).toBeGreaterThan(1500);
    expect(voice!.duration_ms).toBeLessThan(15_000);
    expect(voice!.size_bytes).toBeGreaterThan(0);
    // Kid's device receives it live.
    await expect.poll(() => kid.locator('.row.theirs').count()).toBe(before + 1);
    await expect.poll(() => mum.locator('.row.pending').count()).toBe(0);
    await kid.context().close();
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('hold to record: releasing sends; sliding left while holding cancels', async () => {
    const mum = await openChat('phone');
    const box = await mic(mum).boundingBox();
    if (!box) throw new Error('no microphone button');
    await mum.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await mum.mouse.down();
    await bar(mum).getByText('Release to send, slide left to cancel').waitFor();
    await recordedAtLeast(mum, 1);
    await audit(mum, 'recording');
    await mum.mouse.up();
    await expect.poll(() => bar(mum).count()).toBe(0);
    await expect.poll(async () => (await voiceMessages()).length, { timeout: 20_000 }).toBe(2);
    // About a second (the server reads the length from the recording when ffprobe is installed).
    expect((await voiceMessages())[1]!.duration_ms).toBeGreaterThan(500);

    const again = await mic(mum).boundingBox();
    if (!again) throw new Error('no microphone button');
    await mum.mouse.move(again.x + again.width / 2, again.y + again.height / 2);
    await mum.mouse.down();
    await recordedAtLeast(mum, 1);
    await mum.mouse.move(again.x + again.width / 2 - 150, again.y + again.height / 2, { steps: 5 });
    await expect.poll(() => bar(mum).count()).toBe(0);
    await mum.mouse.up();
    await marker(mum, 'after sliding away');
    expect(await voiceMessages()).toHaveLength(2);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('Cancel records nothing, and the keyboard can record too', async () => {
    const mum = await openChat('desktop');
    await mic(mum).click();
    await recordedAtLeast(mum, 1);
    await bar(mum).getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar(mum).count()).toBe(0);
    await mic(mum).waitFor();
    await marker(mum, 'after the cancel');
    expect(await voiceMessages()).toHaveLength(2);

    await mic(mum).focus();
    await mum.keyboard.press('Enter');
    await recordedAtLeast(mum, 1);
    await mum.getByRole('button', { name: 'Send voice message' }).click();
    await expect.poll(async () => (await voiceMessages()).length, { timeout: 20_000 }).toBe(3);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('a microphone the browser refuses says so in the composer, and nothing breaks', async () => {
    // A browser without the auto-accepting fake prompt: the request for the microphone is refused.
    const refusing = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
    });
    try {
      const mum = await (await newContext(refusing, 'desktop', family.server.url)).newPage();
      family.watch(mum, 'mum (refusing browser)');
      await mum.goto('/');
      await mum.getByLabel('Username').fill('mum');
      await mum.getByLabel('Password').fill(PASSWORD);
      await mum.getByRole('button', { name: 'Log in' }).click();
      await conversationLink(mum, 'Kid').click();
      await mum.getByRole('heading', { name: 'Kid' }).waitFor();
      await mic(mum).click();
      const alert = mum.locator('.composer').getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toBe("Famichat may not use your microphone. Allow it in your browser's site settings, then try again.");
      expect(await bar(mum).count()).toBe(0);
      // Text still goes.
      await marker(mum, 'typed instead');
      expect(await voiceMessages()).toHaveLength(3);
    } finally {
      await refusing.close();
    }
    expect(family.pageErrors).toEqual([]);
  });
});
