// Showing media in the browser: a message's photos as a grid whose boxes keep their shape while the images
// load, "+N" past six photos, the full-screen viewer (arrow keys, swipes, counter, Download, Escape back to the
// tile), a video's poster and inline playback, a voice message's player (one playing at a time), a file chip that
// downloads, "Photos & files" with its empty state, the list's "Photo" preview, and a deleted message without its
// attachments. Media are made in the test and sent through the API, as Kid's app would. Every state is audited
// with axe-core in every theme.
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, startFamily } from '../helpers/family.js';
import type { SampleFile } from '../helpers/sample-media.js';
import { animatedGif, pdf, photo, sendMedia, video, voice } from '../helpers/sample-media.js';

let family: FamilyFixture;
let directId = '';
let kidToken = '';
let photos: SampleFile[] = [];
let photosMessage: any;
let videoMessage: any;

beforeAll(async () => {
  family = await startFamily(['kid']);
  kidToken = family.members.kid!.token;
  const direct = await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.mum!.user.id }, kidToken);
  directId = direct.id;
  photos = [await photo(1200, 800, 'beach-landscape.jpg'), await photo(600, 900, 'lighthouse-portrait.jpg'), animatedGif('waves.gif')];
  photosMessage = await sendMedia(family, kidToken, directId, photos, 'Beach day!');
  videoMessage = await sendMedia(family, kidToken, directId, [video('garden.webm')]);
  await sendMedia(family, kidToken, directId, [voice()]);
  await sendMedia(family, kidToken, directId, [pdf('school-trip-permission-form-2026-final-version.pdf', 240)]);
  // The family chat's latest message is a photo without a caption: the list says "Photo".
  await sendMedia(family, kidToken, family.familyConversationId, [await photo(800, 600, 'cake.jpg')]);
});

afterAll(async () => {
  await family?.stop();
});

/** Mum's chat with Kid, on a new device. */
async function openChat(kind: 'desktop' | 'phone', page?: Page): Promise<Page> {
  const mum = page ?? (await family.device(kind, 'mum'));
  await conversationLink(mum, 'Kid').click();
  await mum.getByRole('heading', { name: 'Kid' }).waitFor();
  return mum;
}

const row = (page: Page, message: any) => page.locator(`.row[data-seq="${message.seq}"]`);
const focusedAttachment = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.attachment);

/** Every image in `page`'s log has loaded (decoded, with its natural size). */
const imagesLoaded = (page: Page, selector: string) =>
  page.waitForFunction((s) => [...document.querySelectorAll<HTMLImageElement>(s)].every((img) => img.complete && img.naturalWidth > 0), selector);

describe('photos', () => {
  it('shows three photos as a grid whose boxes keep their shape while they load, with the caption under them', async () => {
    const mum = await family.device('desktop', 'mum');
    // The thumbnails are held back until the row has been measured without them.
    const held: Route[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    await mum.route('**/api/v1/media/**', async (route) => {
      held.push(route);
      await released;
      await route.continue();
    });
    await openChat('desktop', mum);
    const grid = row(mum, photosMessage).locator('.attachment-grid');
    await grid.waitFor();
    const tiles = grid.locator('.tile');
    expect(await tiles.count()).toBe(3);
    expect(await grid.evaluate((el) => [...el.querySelectorAll('img')].some((img) => img.complete && img.naturalWidth > 0))).toBe(false);
    const before = await row(mum, photosMessage).evaluate((el) => el.getBoundingClientRect().height);
    const tileBoxes = await tiles.evaluateAll((els) => els.map((el) => ({ w: Math.round(el.getBoundingClientRect().width), h: Math.round(el.getBoundingClientRect().height) })));
    // 3 photos: one wide tile over two squares; none collapsed while empty.
    expect(Math.abs(tileBoxes[0]!.w - tileBoxes[0]!.h * 2)).toBeLessThanOrEqual(2);
    expect(tileBoxes[1]!.w).toBe(tileBoxes[1]!.h);
    for (const { w, h } of tileBoxes) expect(w * h).toBeGreaterThan(2000);
    // Lazy, async, named by their file names; the caption is under them.
    expect(await tiles.locator('img').evaluateAll((imgs) => imgs.map((i) => [i.getAttribute('loading'), i.getAttribute('decoding'), i.getAttribute('alt')]))).toEqual(
      photos.map((p) => ['lazy', 'async', p.filename]),
    );
    const caption = row(mum, photosMessage).getByText('Beach day!');
    expect((await caption.boundingBox())!.y).toBeGreaterThan((await grid.boundingBox())!.y + (await grid.boundingBox())!.height - 1);

    release();
    await imagesLoaded(mum, `.row[data-seq="${photosMessage.seq}"] .tile img`);
    expect(held.length).toBeGreaterThan(0);
    expect(await row(mum, photosMessage).evaluate((el) => el.getBoundingClientRect().height)).toBe(before);
    await mum.unroute('**/api/v1/media/**');
  });

  it('opens the viewer: the original, ← → move and the counter follows, Download has the name, Escape closes and focus returns to the tile', async () => {
    const mum = await openChat('desktop');
    const grid = row(mum, photosMessage).locator('.attachment-grid');
    await grid.locator('.tile').nth(1).click();
    await mum.getByRole('dialog', { name: /lighthouse-portrait\.jpg/ }).waitFor();
    const viewer = mum.getByRole('dialog');
    await viewer.getByText('2 of 3').waitFor();
    // The original, not the thumbnail.
    const shown = viewer.locator('img.viewer-media');
    expect(await shown.getAttribute('src')).toContain(`/${photosMessage.attachments[1].id}/original`);
    await mum.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('dialog img.viewer-media');
      return img?.complete && img.naturalWidth === 600 && img.naturalHeight === 900;
    });
    const download = viewer.getByRole('link', { name: 'Download lighthouse-portrait.jpg' });
    expect(await download.getAttribute('download')).toBe('lighthouse-portrait.jpg');
    expect(await viewer.getByRole('button', { name: 'Close viewer' }).isVisible()).toBe(true);
    await audit(mum, 'media-viewer');

    await mum.keyboard.press('ArrowRight');
    await viewer.getByText('3 of 3').waitFor();
    await mum.getByRole('dialog', { name: /waves\.gif/ }).waitFor();
    expect(await viewer.getByRole('link', { name: /^Download/ }).getAttribute('download')).toBe('waves.gif');
    await mum.keyboard.press('ArrowRight');
    await viewer.getByText('3 of 3').waitFor();
    await mum.keyboard.press('ArrowLeft');
    await mum.keyboard.press('ArrowLeft');
    await viewer.getByText('1 of 3').waitFor();
    expect(await viewer.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);
    await viewer.getByRole('button', { name: 'Next' }).click();
    await viewer.getByText('2 of 3').waitFor();

    await mum.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    expect(await focusedAttachment(mum)).toBe(photosMessage.attachments[1].id);
  });

  it('moves through the photos with a swipe on a phone', async () => {
    const mum = await openChat('phone');
    await row(mum, photosMessage).locator('.tile').first().click();
    const viewer = mum.getByRole('dialog');
    await viewer.getByText('1 of 3').waitFor();
    const stage = viewer.locator('.viewer-stage');
    const box = (await stage.boundingBox())!;
    const y = box.y + box.height / 2;
    // A leftward drag is "next", a rightward one "previous", as pointer events (a finger, here the mouse).
    await stage.dispatchEvent('pointerdown', { pointerId: 7, pointerType: 'touch', clientX: box.x + box.width * 0.8, clientY: y, isPrimary: true });
    await stage.dispatchEvent('pointerup', { pointerId: 7, pointerType: 'touch', clientX: box.x + box.width * 0.2, clientY: y + 5, isPrimary: true });
    await viewer.getByText('2 of 3').waitFor();
    await stage.dispatchEvent('pointerdown', { pointerId: 8, pointerType: 'touch', clientX: box.x + box.width * 0.2, clientY: y, isPrimary: true });
    await stage.dispatchEvent('pointerup', { pointerId: 8, pointerType: 'touch', clientX: box.x + box.width * 0.8, clientY: y, isPrimary: true });
    await viewer.getByText('1 of 3').waitFor();
    await viewer.getByRole('button', { name: 'Close viewer' }).click();
    await viewer.waitFor({ state: 'detached' });
  });
});

describe('video, voice messages and files', () => {
  it('shows a video as its poster with a play badge and plays it in the bubble with controls', async () => {
    const mum = await openChat('desktop');
    const tile = row(mum, videoMessage).locator('.tile-video');
    await tile.waitFor();
    const attachment = videoMessage.attachments[0];
    if (attachment.thumbnail_url) {
      await imagesLoaded(mum, `.row[data-seq="${videoMessage.seq}"] .tile img`);
      expect(await tile.locator('img').getAttribute('src')).toContain(`/${attachment.id}/thumbnail`);
    }
    expect(await tile.getByText('Play video').count()).toBe(1);
    if (attachment.duration_ms) await tile.getByText('0:02').waitFor();
    await tile.click();
    const player = row(mum, videoMessage).locator('video');
    await player.waitFor();
    expect(await player.evaluate((v: HTMLVideoElement) => [v.controls, v.preload, v.playsInline])).toEqual([true, 'metadata', true]);
    await mum.waitForFunction((seq) => {
      const v = document.querySelector<HTMLVideoElement>(`.row[data-seq="${seq}"] video`);
      return v !== null && v.readyState >= 1 && v.currentTime > 0;
    }, videoMessage.seq);
  });

  it('plays a voice message in a compact player that shows its length', async () => {
    const mum = await openChat('desktop');
    const player = mum.locator('.audio-player').first();
    await player.getByText('0:00 / 0:02').waitFor();
    const play = player.getByRole('button', { name: 'Play voice message, 0:02' });
    expect(await player.locator('audio').evaluate((a: HTMLAudioElement) => [a.autoplay, a.paused])).toEqual([false, true]);
    await play.click();
    await mum.waitForFunction(() => (document.querySelector<HTMLAudioElement>('.audio-player audio')?.currentTime ?? 0) > 0);
    await player.getByRole('button', { name: /^(Pause|Play) voice message, 0:02$/ }).waitFor();
    expect(await player.getByRole('slider', { name: 'Position in voice message' }).count()).toBe(1);
  });

  it('shows a file as a chip with its name, size and type, and downloads it', async () => {
    const mum = await openChat('desktop');
    const chip = mum.locator('.file-chip').first();
    await chip.waitFor();
    const name = 'school-trip-permission-form-2026-final-version.pdf';
    expect(await mum.getByRole('link', { name: `Download ${name}, 240 KB, PDF`, exact: true }).count()).toBe(1);
    // The whole name, its end (with the extension) never cut: a long one is shortened in the middle.
    expect(await chip.locator('.file-name').textContent()).toBe(name);
    expect(await chip.locator('.file-name-end').textContent()).toBe('ersion.pdf');
    const [start, end] = await Promise.all(['.file-name-start', '.file-name-end'].map((part) => chip.locator(part).evaluate((el) => ({ full: el.scrollWidth, shown: el.clientWidth }))));
    expect(start!.full).toBeGreaterThan(start!.shown);
    expect(end!.full).toBe(end!.shown);
    expect([await chip.locator('.file-size').textContent(), await chip.locator('.file-type').textContent()]).toEqual(['240 KB', 'PDF']);
    expect(await chip.getAttribute('title')).toBe(name);
    const [download] = await Promise.all([mum.waitForEvent('download'), chip.click()]);
    expect(download.suggestedFilename()).toBe(name);
    expect(await download.failure()).toBeNull();
  });

  it('passes the audit with the photo grid, the voice player and the file chip in view', async () => {
    for (const kind of ['desktop', 'phone'] as const) {
      const mum = await openChat(kind);
      await mum.locator('.file-chip').first().waitFor();
      await imagesLoaded(mum, '.row .tile img');
      // A desktop shows the photo grid and the video; a phone the latest: the voice message and the file.
      if (kind === 'desktop') await row(mum, photosMessage).scrollIntoViewIfNeeded();
      await audit(mum, 'media-chat');
    }
  });
});

describe('many photos and several voice messages', () => {
  it('shows six tiles with "+N" on the last, whose viewer reaches all of them, and plays one voice message at a time', async () => {
    const mum = family.members.mum!.token;
    const group = await family.api('POST', '/conversations', { type: 'group', family_id: family.familyId, title: 'Holiday', participant_ids: [family.members.kid!.user.id] }, mum);
    const many: SampleFile[] = [];
    for (let i = 1; i <= 8; i++) many.push(await photo(320 + i * 10, 240, `holiday-${i}.jpg`));
    const album = await sendMedia(family, kidToken, group.id, many);
    await sendMedia(family, kidToken, group.id, [voice('first.webm')]);
    await sendMedia(family, kidToken, group.id, [voice('second.webm')]);
    const page = await family.device('desktop', 'mum');
    await conversationLink(page, 'Holiday').click();
    const grid = row(page, album).locator('.attachment-grid');
    await grid.locator('.tile').nth(5).waitFor();
    expect(await grid.locator('.tile').count()).toBe(6);
    const last = grid.locator('.tile').nth(5);
    expect(await last.locator('.more-tiles').innerText()).toContain('+2');
    await last.click();
    const viewer = page.getByRole('dialog');
    await viewer.getByText('6 of 8').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await viewer.getByText('8 of 8').waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });

    const players = page.locator('.audio-player');
    await players.nth(1).waitFor();
    const paused = () => players.locator('audio').evaluateAll((all) => all.map((a) => (a as HTMLAudioElement).paused));
    await players.nth(0).getByRole('button', { name: /^Play voice message/ }).click();
    await players.nth(0).getByRole('button', { name: /^Pause voice message/ }).waitFor();
    await players.nth(1).getByRole('button', { name: /^Play voice message/ }).click();
    await players.nth(1).getByRole('button', { name: /^Pause voice message/ }).waitFor();
    expect(await paused()).toEqual([true, false]);
  });
});

describe('Photos & files', () => {
  it('lists every photo and video newest first and the files and voice messages, and opens the viewer', async () => {
    const mum = await openChat('desktop');
    await mum.getByRole('link', { name: 'Photos & files' }).click();
    await mum.getByRole('heading', { name: 'Photos & files' }).waitFor();
    const grid = mum.getByRole('list', { name: 'Photos and videos, newest first' });
    await grid.locator('.tile').nth(3).waitFor();
    expect(await grid.locator('.tile').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.attachment))).toEqual([
      videoMessage.attachments[0].id,
      ...photosMessage.attachments.map((a: any) => a.id),
    ]);
    const files = mum.getByRole('list', { name: 'Files and voice messages, newest first' });
    await files.locator('.file-chip').waitFor();
    expect(await files.locator('.audio-player').count()).toBe(1);
    await imagesLoaded(mum, '.gallery-grid img');
    await audit(mum, 'media-gallery');

    await grid.locator('.tile').nth(2).click();
    await mum.getByRole('dialog', { name: /lighthouse-portrait\.jpg/ }).waitFor();
    const viewer = mum.getByRole('dialog');
    await viewer.getByText('3 of 4').waitFor();
    await mum.keyboard.press('ArrowLeft');
    await viewer.getByText('2 of 4').waitFor();
    await mum.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await mum.getByRole('link', { name: 'Back to the chat with Kid' }).click();
    await mum.getByRole('heading', { name: 'Kid' }).waitFor();
  });

  it('reads older pages of the history to find older photos', async () => {
    const mum = family.members.mum!.token;
    const group = await family.api('POST', '/conversations', { type: 'group', family_id: family.familyId, title: 'Album', participant_ids: [family.members.kid!.user.id] }, mum);
    const old = await sendMedia(family, kidToken, group.id, [await photo(640, 480, 'old-photo.jpg')]);
    // Three pages of text after it: the view reads on until it finds the photo.
    for (let i = 0; i < 230; i++) await family.api('POST', `/conversations/${group.id}/messages`, { body: `chat ${i}` }, mum);
    const page = await family.device('desktop', 'mum');
    await page.goto(`/c/${group.id}/media`);
    await page.getByRole('heading', { name: 'Photos & files' }).waitFor();
    await page.locator(`.gallery-grid .tile[data-attachment="${old.attachments[0].id}"]`).waitFor();
  });

  it('says so when a conversation has none', async () => {
    const mum = await family.device('phone', 'mum');
    await mum.getByRole('button', { name: 'Notes' }).click();
    await mum.getByRole('link', { name: 'Photos & files' }).click();
    await mum.getByText('No photos or files yet').waitFor();
  });
});

describe('in the list and after a delete', () => {
  it('previews a photo without a caption as "Photo"', async () => {
    const mum = await family.device('desktop', 'mum');
    await conversationLink(mum, 'The Smiths').getByText('Kid: Photo').waitFor();
  });

  it('shows no attachments on a deleted message', async () => {
    const gone = await sendMedia(family, kidToken, directId, [await photo(400, 300, 'oops.jpg')]);
    const mum = await openChat('desktop');
    await row(mum, gone).locator('.tile').waitFor();
    await family.api('DELETE', `/conversations/${directId}/messages/${gone.id}`, undefined, kidToken);
    await row(mum, gone).getByText('This message was deleted').waitFor();
    expect(await row(mum, gone).locator('.tile, .attachments').count()).toBe(0);
    expect(family.pageErrors).toEqual([]);
  });
});
