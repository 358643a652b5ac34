// Sending files from the web client, against the real server and its real uploads: the attach button's file
// picker, the tray (thumbnails, names, sizes, remove), a caption and two files as one message that the other
// member receives; progress and Cancel on a throttled large upload; a file over the server's limit with its
// error, Retry and Remove; paste and drag-and-drop; going offline mid-upload delivers exactly one message.
// The tray, the upload under way and the refused file are audited with axe-core in every theme.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, mine, startFamily } from '../helpers/family.js';
import { bytes, png } from '../helpers/files.js';

/** The server's upload limit in these tests: 10 MiB. */
const LIMIT = 10 * 1024 * 1024;

interface StoredAttachment { filename: string; kind: string; size_bytes: number; width: number | null; mime_type: string }
interface StoredMessage { body: string; client_id: string | null; attachments: StoredAttachment[] }

let family: FamilyFixture;
let directId = '';
let mediaDir = '';

beforeAll(async () => {
  mediaDir = mkdtempSync(join(tmpdir(), 'famichat-e2e-media-'));
  family = await startFamily(['kid'], { FAMICHAT_MEDIA_DIR: mediaDir, FAMICHAT_UPLOAD_MAX_BYTES: String(LIMIT), FAMICHAT_UPLOADS_PER_MINUTE: '1000' });
  const direct = await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid?.user.id }, family.members.mum?.token);
  directId = direct.id;
});

afterAll(async () => {
  await family?.stop();
  if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
});

/** The direct conversation's messages as Kid reads them over the API. */
async function messages(): Promise<StoredMessage[]> {
  return (await family.api('GET', `/conversations/${directId}/messages?limit=200`, undefined, family.members.kid?.token)) as StoredMessage[];
}

/** Someone's chat with the other, open on a new device. */
async function openChat(kind: 'desktop' | 'phone', who: 'mum' | 'kid' = 'mum'): Promise<Page> {
  const page = await family.device(kind, who);
  await conversationLink(page, who === 'mum' ? 'Kid' : 'Mum').click();
  await page.getByRole('heading', { name: who === 'mum' ? 'Kid' : 'Mum' }).waitFor();
  return page;
}

const fileInput = (page: Page) => page.locator('.composer input[type=file]');
const tray = (page: Page) => page.getByRole('list', { name: 'Files to send' });
const pendingFile = (page: Page, name: string) => page.locator('.pending-file', { hasText: name });

/** Slows this page's uploads to `bytesPerSecond` (Chromium's network emulation); -1 lifts it. */
async function throttleUploads(page: Page, bytesPerSecond: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  return cdp;
}

/** Sends a text message and waits until it is stored: everything queued before it in the outbox went first. */
async function marker(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await mine(page, text).waitFor();
}

describe('sending files', () => {
  it('picks two files with the attach button, shows them in the tray, and sends them with a caption as one message', async () => {
    const mum = await openChat('desktop');
    const kid = await openChat('phone', 'kid');
    const chooser = mum.waitForEvent('filechooser');
    await mum.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles([
      { name: 'beach.png', mimeType: 'image/png', buffer: png(320, 240) },
      { name: 'packing list.pdf', mimeType: 'application/pdf', buffer: bytes(14_200) },
    ]);
    const items = tray(mum).getByRole('listitem');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toContain('beach.png');
    expect(await items.nth(1).textContent()).toContain('14 KB');
    // The image has a thumbnail from an object URL; the PDF has none.
    expect(await items.nth(0).locator('img').getAttribute('src')).toMatch(/^blob:/);
    expect(await items.nth(1).locator('img').count()).toBe(0);
    // Remove takes one out; picking it again brings it back.
    await mum.getByRole('button', { name: 'Remove packing list.pdf' }).click();
    await expect.poll(() => items.count()).toBe(1);
    await fileInput(mum).setInputFiles({ name: 'packing list.pdf', mimeType: 'application/pdf', buffer: bytes(14_200) });
    await expect.poll(() => items.count()).toBe(2);
    const box = mum.getByLabel('Message', { exact: true });
    expect(await box.getAttribute('placeholder')).toBe('Add a caption');
    await box.fill('Holiday plans');
    await audit(mum, 'attach-tray');

    await mum.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => tray(mum).count()).toBe(0);
    await mine(mum, 'Holiday plans').waitFor();
    // Kid's device gets the message live.
    await kid.locator('.row.theirs', { hasText: 'Holiday plans' }).waitFor();
    const sent = (await messages()).filter((m) => m.body === 'Holiday plans');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attachments.map((a) => [a.filename, a.kind, a.size_bytes])).toEqual([
      ['beach.png', 'image', expect.any(Number)],
      ['packing list.pdf', 'file', 14_200],
    ]);
    expect(sent[0]!.attachments[0]!.width).toBe(320);
    await kid.context().close();

    // On a phone too: the tray with a file is audited there.
    const phone = await openChat('phone');
    await fileInput(phone).setInputFiles({ name: 'garden.png', mimeType: 'image/png', buffer: png(200, 300, [30, 140, 60]) });
    await tray(phone).getByRole('listitem').waitFor();
    await audit(phone, 'attach-tray');
    await phone.getByRole('button', { name: 'Remove garden.png' }).click();
    await expect.poll(() => tray(phone).count()).toBe(0);
    await mum.context().close();
    await phone.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('shows the progress of a large upload, and Cancel stops that file while the message goes on without it', async () => {
    const mum = await openChat('desktop');
    const cdp = await throttleUploads(mum, 1_000_000);
    await fileInput(mum).setInputFiles([
      { name: 'home video.bin', mimeType: 'application/octet-stream', buffer: bytes(8_000_000) },
    ]);
    await mum.getByLabel('Message', { exact: true }).fill('Video from today');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    const progress = pendingFile(mum, 'home video.bin').getByRole('progressbar', { name: 'Uploading home video.bin' });
    await expect.poll(() => progress.evaluate((el) => (el as HTMLProgressElement).value), { timeout: 15_000 }).toBeGreaterThan(0);
    const value = await progress.evaluate((el) => (el as HTMLProgressElement).value);
    expect(value).toBeLessThan(100);
    await audit(mum, 'attach-uploading');
    await mum.getByRole('button', { name: 'Cancel home video.bin' }).click();
    await expect.poll(() => pendingFile(mum, 'home video.bin').count()).toBe(0);
    // The caption is sent on its own; nothing carries the cancelled file.
    await mine(mum, 'Video from today').waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await marker(mum, 'after the cancel');
    const all = await messages();
    expect(all.filter((m) => m.body === 'Video from today').map((m) => m.attachments)).toEqual([[]]);
    expect(all.flatMap((m) => m.attachments).some((a) => a.filename === 'home video.bin')).toBe(false);

    // Cancelling the only file of a message without a caption drops the message.
    await throttleUploads(mum, 500_000);
    await fileInput(mum).setInputFiles({ name: 'second.bin', mimeType: 'application/octet-stream', buffer: bytes(4_000_000) });
    await mum.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => pendingFile(mum, 'second.bin').getByRole('progressbar').evaluate((el) => (el as HTMLProgressElement).value)).toBeGreaterThan(0);
    await mum.getByRole('button', { name: 'Cancel second.bin' }).click();
    await expect.poll(() => mum.locator('.row.pending').count()).toBe(0);
    await marker(mum, 'after the second cancel');
    expect((await messages()).flatMap((m) => m.attachments).some((a) => a.filename === 'second.bin')).toBe(false);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it("says why a file over the server's limit failed, retries it on request, and Remove sends the rest", async () => {
    const mum = await openChat('desktop');
    const big = bytes(LIMIT + 1_000_000);
    await fileInput(mum).setInputFiles([
      { name: 'too big.mov', mimeType: 'video/quicktime', buffer: big },
      { name: 'small.png', mimeType: 'image/png', buffer: png(40, 40) },
    ]);
    await mum.getByLabel('Message', { exact: true }).fill('Two files, one too big');
    await mum.getByRole('button', { name: 'Send' }).click();
    const failed = pendingFile(mum, 'too big.mov');
    await failed.getByRole('alert').waitFor();
    expect(await failed.getByRole('alert').textContent()).toBe('The file is 11 MB; the limit is 10 MB.');
    await mum.locator('.row.pending').getByText('Not sent: a file could not be uploaded').waitFor();
    expect(await pendingFile(mum, 'small.png').textContent()).toContain('Uploaded');
    await audit(mum, 'attach-failed');

    // Retry tries again (and fails again: the file is still too big).
    await failed.getByRole('button', { name: 'Retry too big.mov' }).click();
    await failed.getByRole('alert').waitFor();
    await failed.getByRole('button', { name: 'Remove too big.mov' }).click();
    await mine(mum, 'Two files, one too big').waitFor();
    const sent = (await messages()).filter((m) => m.body === 'Two files, one too big');
    expect(sent.map((m) => m.attachments.map((a) => a.filename))).toEqual([['small.png']]);

    // Now the limit is known: a file over it is refused when picked, before any upload.
    await fileInput(mum).setInputFiles({ name: 'again.mov', mimeType: 'video/quicktime', buffer: big });
    await mum.locator('.composer').getByRole('alert').getByText('again.mov is 11 MB; the limit is 10 MB.').waitFor();
    expect(await tray(mum).count()).toBe(0);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('takes a pasted image and files dropped on the chat ("Drop to send")', async () => {
    const mum = await openChat('desktop');
    const box = mum.getByLabel('Message', { exact: true });
    const image = png(64, 48, [200, 80, 40]).toString('base64');
    await box.evaluate((el, data) => {
      const transfer = new DataTransfer();
      const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'image.png', { type: 'image/png' });
      transfer.items.add(file);
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, image);
    await tray(mum).getByRole('listitem').filter({ hasText: 'image.png' }).waitFor();
    await box.press('Enter');
    await expect.poll(async () => (await messages()).at(-1)?.attachments.map((a) => [a.filename, a.kind, a.width])).toEqual([['image.png', 'image', 64]]);

    // Dragging files over the chat shows the drop zone; dropping adds them to the tray.
    const handle = await mum.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['Shopping: milk, eggs'], 'shopping.txt', { type: 'text/plain' }));
      transfer.items.add(new File(['Chores'], 'chores.txt', { type: 'text/plain' }));
      return transfer;
    });
    const log = mum.locator('.messages');
    await log.dispatchEvent('dragenter', { dataTransfer: handle });
    await mum.getByText('Drop to send').waitFor();
    await log.dispatchEvent('dragover', { dataTransfer: handle });
    await log.dispatchEvent('drop', { dataTransfer: handle });
    await expect.poll(() => mum.getByText('Drop to send').count()).toBe(0);
    await expect.poll(() => tray(mum).getByRole('listitem').count()).toBe(2);
    await box.fill('Lists');
    await box.press('Enter');
    await mine(mum, 'Lists').waitFor();
    const lists = (await messages()).filter((m) => m.body === 'Lists');
    expect(lists.map((m) => m.attachments.map((a) => a.filename))).toEqual([['shopping.txt', 'chores.txt']]);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('sends more than 10 files as several messages, and says so in the tray', async () => {
    const mum = await openChat('desktop');
    const files = Array.from({ length: 12 }, (_, i) => ({ name: `photo ${i + 1}.png`, mimeType: 'image/png', buffer: png(24, 24, [i * 20, 100, 150]) }));
    await fileInput(mum).setInputFiles(files);
    await expect.poll(() => tray(mum).getByRole('listitem').count()).toBe(12);
    await mum.getByText('12 files go as 2 messages (at most 10 in each).').waitFor();
    await mum.getByLabel('Message', { exact: true }).fill('The whole album');
    await mum.getByRole('button', { name: 'Send' }).click();
    await mine(mum, 'The whole album').waitFor({ timeout: 30_000 });
    await marker(mum, 'after the album');
    const all = await messages();
    const album = all.findIndex((m) => m.body === 'The whole album');
    // The caption goes with the first ten; the other two follow in a message of their own, in order.
    expect(all.slice(album, album + 2).map((m) => [m.body, m.attachments.map((a) => a.filename)])).toEqual([
      ['The whole album', files.slice(0, 10).map((f) => f.name)],
      ['', files.slice(10).map((f) => f.name)],
    ]);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('going offline during an upload: back online, the upload starts over and exactly one message arrives', async () => {
    const mum = await openChat('desktop');
    await throttleUploads(mum, 500_000);
    await fileInput(mum).setInputFiles([
      { name: 'first.png', mimeType: 'image/png', buffer: png(30, 30) },
      { name: 'offline.bin', mimeType: 'application/octet-stream', buffer: bytes(3_000_000) },
    ]);
    await mum.getByLabel('Message', { exact: true }).fill('Sent through a tunnel');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    const progress = pendingFile(mum, 'offline.bin').getByRole('progressbar');
    await expect.poll(() => progress.evaluate((el) => (el as HTMLProgressElement).value), { timeout: 15_000 }).toBeGreaterThan(0);
    await mum.context().setOffline(true);
    await mum.getByText('Offline', { exact: false }).first().waitFor();
    // The upload stopped and waits; the first file stays uploaded.
    await expect.poll(() => pendingFile(mum, 'offline.bin').textContent()).toContain('Waiting');
    expect(await pendingFile(mum, 'first.png').textContent()).toContain('Uploaded');
    await mum.context().setOffline(false);
    await mine(mum, 'Sent through a tunnel').waitFor({ timeout: 30_000 });
    await marker(mum, 'after the tunnel');
    const sent = (await messages()).filter((m) => m.body === 'Sent through a tunnel');
    expect(sent.map((m) => m.attachments.map((a) => [a.filename, a.size_bytes]))).toEqual([[['first.png', expect.any(Number)], ['offline.bin', 3_000_000]]]);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });

  it('a reload during an upload: the files come back from the device, the upload starts over, one message arrives', async () => {
    const mum = await openChat('desktop');
    await throttleUploads(mum, 300_000);
    await fileInput(mum).setInputFiles({ name: 'reloaded.bin', mimeType: 'application/octet-stream', buffer: bytes(2_000_000) });
    await mum.getByLabel('Message', { exact: true }).fill('Survives a reload');
    await mum.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => pendingFile(mum, 'reloaded.bin').getByRole('progressbar').evaluate((el) => (el as HTMLProgressElement).value), { timeout: 15_000 }).toBeGreaterThan(0);
    await mum.reload();
    // The pending message is back with its file (its bytes from IndexedDB), and goes out again.
    await pendingFile(mum, 'reloaded.bin').waitFor();
    await mine(mum, 'Survives a reload').waitFor({ timeout: 30_000 });
    await marker(mum, 'after the reload');
    const sent = (await messages()).filter((m) => m.body === 'Survives a reload');
    expect(sent.map((m) => m.attachments.map((a) => [a.filename, a.size_bytes]))).toEqual([[['reloaded.bin', 2_000_000]]]);
    await mum.context().close();
    expect(family.pageErrors).toEqual([]);
  });
});
