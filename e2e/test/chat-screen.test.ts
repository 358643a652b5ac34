// The chat screen in the browser, on a desktop and a 390x844 phone: the edit form (visible buttons in every
// theme, Escape, Enter, an empty edit's error in view), the "↓ N new messages" pill, type that follows the
// browser's text size, and the polish: options beside the bubble with unique names, "Sent" once, times
// without a leading zero and with the full date, enlarged emoji, highlighted mentions, list rows' focus ring.
// Every new state is audited with axe-core in the light, dark and high-contrast themes (screenshots saved).
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, THEMES } from '../helpers/audit.js';
import type { FamilyFixture } from '../helpers/family.js';
import { conversationLink, mine, startFamily } from '../helpers/family.js';

const KINDS = ['desktop', 'phone'] as const;
type Kind = (typeof KINDS)[number];

/** A time zone where it is about 5 AM now, so a message's hour has one digit ("5:07 AM", never "05:07 AM"). */
function earlyMorningZone(): string {
  let offset = 5 - new Date().getUTCHours();
  if (offset < -12) offset += 24;
  // Etc/GMT+N is N hours behind UTC.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset < 0 ? '+' : '-'}${Math.abs(offset)}`;
}
const ZONE = earlyMorningZone();

let family: FamilyFixture;
let directId = '';

beforeAll(async () => {
  family = await startFamily(['kid']);
  const direct = await family.api('POST', '/conversations', { type: 'direct', participant_id: family.members.kid?.user.id }, family.members.mum?.token);
  directId = direct.id;
});

afterAll(async () => {
  await family?.stop();
});

/** Mum's chat with Kid, open on a new device. */
async function openChat(kind: Kind): Promise<Page> {
  const page = await family.device(kind, 'mum', { timezoneId: ZONE });
  await conversationLink(page, 'Kid').click();
  await page.getByRole('heading', { name: 'Kid' }).waitFor();
  return page;
}

/** Sends `text` from the composer with Enter and waits until it is stored. */
async function send(page: Page, text: string): Promise<Locator> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  const row = mine(page, text);
  await row.waitFor();
  // By seq: the row stays found when its text changes.
  return page.locator(`.row[data-seq="${await row.getAttribute('data-seq')}"]`);
}

const kidSends = (body: string) => family.api('POST', `/conversations/${directId}/messages`, { body }, family.members.kid?.token);
const options = (row: Locator) => row.getByRole('button', { name: /^Options for your message/ });
const isFocused = (locator: Locator) => locator.evaluate((el) => el === document.activeElement);

/** WCAG contrast of two computed colours ("rgb(…)"). */
function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [r = 0, g = 0, b = 0] = (colour.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [high = 0, low = 0] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high + 0.05) / (low + 0.05);
}

/** The text colour of `locator`, its own background, and the background around it (the first opaque ones up the tree). */
function colours(locator: Locator): Promise<{ text: string; background: string; around: string }> {
  return locator.evaluate((el) => {
    const opaque = (from: Element | null) => {
      for (let node = from; node; node = node.parentElement) {
        const colour = getComputedStyle(node).backgroundColor;
        if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
      }
      return 'rgb(255, 255, 255)';
    };
    return { text: getComputedStyle(el).color, background: opaque(el), around: opaque(el.parentElement?.closest('.bubble') ?? null) };
  });
}

/** Switches the page's theme through the system settings it follows. */
async function showTheme(page: Page, theme: (typeof THEMES)[number]): Promise<void> {
  await page.emulateMedia(theme.media);
  await page.waitForFunction((id) => document.documentElement.getAttribute('data-theme') === id, theme.id);
}

/** How far the message log is scrolled up from its bottom, in px. */
const fromBottom = (page: Page) => page.locator('.messages').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

/** Scrolls the log to `top` (0: the top, else the bottom) and waits for its scroll event. */
function scrollLog(page: Page, to: 'top' | 'bottom'): Promise<void> {
  return page.locator('.messages').evaluate(
    (el, where) =>
      new Promise<void>((resolve) => {
        el.addEventListener('scroll', () => resolve(), { once: true });
        el.scrollTop = where === 'top' ? 0 : el.scrollHeight;
      }),
    to,
  );
}

describe('the chat screen', () => {
  it('edits in a form with visible buttons: Escape cancels, Enter saves, Shift+Enter is a new line, an empty edit says why in view', async () => {
    for (const kind of KINDS) {
      const page = await openChat(kind);
      const row = await send(page, `Dinner at 7? (${kind})`);
      await options(row).click();
      await row.getByRole('button', { name: 'Edit' }).click();
      const input = row.getByLabel('Edit message');
      expect(await isFocused(input)).toBe(true);
      for (const theme of THEMES) {
        await showTheme(page, theme);
        for (const name of ['Save', 'Cancel']) {
          const { text, background } = await colours(row.getByRole('button', { name }));
          expect(contrast(text, background), `${kind} ${theme.id} ${name}: ${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
        }
        // Save is a filled button that stands out from the form around it, not bare text.
        const save = await colours(row.getByRole('button', { name: 'Save' }));
        expect(contrast(save.background, save.around), `${kind} ${theme.id} Save: ${save.background} on ${save.around}`).toBeGreaterThanOrEqual(3);
      }
      await audit(page, 'edit-form');

      await input.fill('never mind');
      await input.press('Escape');
      await expect.poll(() => row.getByLabel('Edit message').count()).toBe(0);
      expect(await row.locator('.body').textContent()).toBe(`Dinner at 7? (${kind})`);
      await expect.poll(() => isFocused(options(row))).toBe(true);

      await options(row).click();
      await row.getByRole('button', { name: 'Edit' }).click();
      await input.fill(`Dinner at 8? (${kind})`);
      await input.press('Shift+Enter');
      await input.pressSequentially('Bring pudding');
      expect(await input.inputValue()).toBe(`Dinner at 8? (${kind})\nBring pudding`);
      await input.press('Enter');
      await row.getByText(/edited/).waitFor();
      expect(await row.locator('.body').textContent()).toBe(`Dinner at 8? (${kind})\nBring pudding`);
      const stored = await family.api('GET', `/conversations/${directId}/messages?limit=5`, undefined, family.members.kid?.token);
      expect(stored.map((m: { body: string }) => m.body)).toContain(`Dinner at 8? (${kind})\nBring pudding`);

      // An empty edit: the reason shows in the form, announced, and scrolled into view (the row is the last one).
      await options(row).click();
      await row.getByRole('button', { name: 'Edit' }).click();
      await input.fill('   ');
      await input.press('Enter');
      const alert = row.locator('.edit-form').getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/cannot be empty/);
      const log = (await page.locator('.messages').boundingBox())!;
      await expect.poll(async () => {
        const box = (await alert.boundingBox())!;
        return box.y >= log.y && box.y + box.height <= log.y + log.height;
      }).toBe(true);
      await audit(page, 'edit-error');
      await input.press('Escape');
      await page.context().close();
    }
  });

  it('shows "↓ N new messages" when scrolled up as messages arrive; a click, scrolling down or a send goes to the bottom', async () => {
    for (let i = 1; i <= 40; i++) await kidSends(`Earlier message ${i}`);
    const pages = new Map<Kind, Page>();
    for (const kind of KINDS) pages.set(kind, await openChat(kind));
    for (const page of pages.values()) {
      await page.locator('.row.theirs', { hasText: 'Earlier message 40' }).waitFor();
      await scrollLog(page, 'top');
    }
    await kidSends('Are you coming?');
    await kidSends('Food is getting cold');
    for (const page of pages.values()) {
      const pill = page.getByRole('button', { name: /new message/ });
      await expect.poll(() => pill.textContent()).toBe('↓ 2 new messages');
      expect(await fromBottom(page)).toBeGreaterThan(80);
      await audit(page, 'new-messages');
      await pill.click();
      await expect.poll(() => pill.count()).toBe(0);
      await expect.poll(() => fromBottom(page)).toBeLessThan(2);
      expect(await page.locator('.row.theirs', { hasText: 'Food is getting cold' }).isVisible()).toBe(true);
    }

    for (const page of pages.values()) await scrollLog(page, 'top');
    await kidSends('Hello?');
    for (const page of pages.values()) {
      const pill = page.getByRole('button', { name: /new message/ });
      await expect.poll(() => pill.textContent()).toBe('↓ 1 new message');
      await scrollLog(page, 'bottom');
      await expect.poll(() => pill.count()).toBe(0);
    }

    for (const [kind, page] of pages) {
      await scrollLog(page, 'top');
      await send(page, `On my way (${kind})`);
      await expect.poll(() => fromBottom(page)).toBeLessThan(2);
      expect(await page.getByRole('button', { name: /new message/ }).count()).toBe(0);
    }
    for (const page of pages.values()) await page.context().close();
  });

  it('scales all type with the browser’s text size (200%: messages and times twice as large)', async () => {
    await kidSends('Big letters for Grandpa');
    const page = await openChat('phone');
    await page.locator('.row.theirs', { hasText: 'Big letters for Grandpa' }).waitFor();
    const sizes = () =>
      page.evaluate(() => {
        const px = (selector: string) => parseFloat(getComputedStyle(document.querySelector(selector)!).fontSize);
        return { message: px('.row:not(.pending) .bubble:not(.emoji-only) .body'), time: px('.row .meta time'), composer: px('#composer-input'), title: px('.chat-header h1') };
      });
    const normal = await sizes();
    // What a 200% text size in the browser's settings does: the root's font size doubles.
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    const large = await sizes();
    for (const key of Object.keys(normal) as (keyof typeof normal)[]) expect(large[key], key).toBeCloseTo(normal[key] * 2, 1);
    expect(normal.time).toBeLessThan(normal.message);
    expect(large.time).toBeLessThan(large.message);
    await audit(page, 'large-text');
    await page.context().close();
  });

  it('puts options beside the bubble with unique names, says "Sent" once, shows times without a leading zero and with the full date, big emoji, mentions', async () => {
    await kidSends('@mum can you call me? Tell @kid too');
    const emoji = { desktop: '🎉🎂', phone: '👍' };
    for (const kind of KINDS) {
      const page = await openChat(kind);
      const pickUp = await send(page, `Pick me up at 5 (${kind})`);
      const cake = await send(page, `@kid bring the cake (${kind})`);
      const party = await send(page, emoji[kind]);

      // "Sent" only on the latest own message.
      await party.getByText('Sent').waitFor();
      expect(await page.locator('.row.mine .state').count()).toBe(1);

      // The options button sits beside the bubble, taking no line of its own; every one has its own name.
      const row = (await pickUp.boundingBox())!;
      const bubble = (await pickUp.locator('.bubble').boundingBox())!;
      const button = (await options(pickUp).boundingBox())!;
      expect(row.height - bubble.height).toBeLessThan(2);
      expect(button.x + button.width).toBeLessThanOrEqual(bubble.x);
      expect(button.y).toBeGreaterThanOrEqual(bubble.y - 1);
      expect(button.y + button.height).toBeLessThanOrEqual(bubble.y + bubble.height + 1);
      const names = await page.locator('.options-button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
      expect(names.length).toBeGreaterThan(2);
      expect(new Set(names).size).toBe(names.length);
      expect(await options(pickUp).getAttribute('aria-label')).toMatch(new RegExp(`^Options for your message “Pick me up at 5 \\(${kind}\\)” at \\d`));

      // Times: "5:07 AM", the full date as the title and in the accessible text, shown in place on a tap.
      const time = pickUp.locator('time');
      const short = (await pickUp.locator('.time-short').textContent())!;
      expect(short).toMatch(/^[1-9]\d?:\d\d/);
      const full = (await time.getAttribute('title'))!;
      expect(full).toContain(String(new Date().getFullYear()));
      expect(full).toMatch(/day/);
      expect(await time.textContent()).toContain(full);
      const shown = time.locator('.sr-only');
      expect((await shown.boundingBox())!.width).toBeLessThanOrEqual(1);
      if (kind === 'phone') await time.tap();
      else await time.click();
      expect((await shown.boundingBox())!.width).toBeGreaterThan(50);
      expect(await shown.textContent()).toBe(full);
      await audit(page, 'full-time');

      // Emoji alone: enlarged, without a bubble.
      const emojiBubble = party.locator('.bubble');
      expect(await emojiBubble.getAttribute('class')).toContain('emoji-only');
      const [emojiPx, textPx] = await Promise.all([party.locator('.body').evaluate((el) => parseFloat(getComputedStyle(el).fontSize)), pickUp.locator('.body').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))]);
      expect(emojiPx).toBeGreaterThanOrEqual(textPx * 2);
      expect(await emojiBubble.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgba(0, 0, 0, 0)');

      // Mentions of participants: bold, and the viewer's own on a highlight.
      const theirs = page.locator('.row.theirs', { hasText: 'can you call me?' });
      const me = theirs.locator('.mention.me');
      expect(await me.textContent()).toBe('@mum');
      expect(await theirs.locator('.mention:not(.me)').textContent()).toBe('@kid');
      expect(await cake.locator('.mention').textContent()).toBe('@kid');
      const highlight = await colours(me);
      expect(contrast(highlight.background, highlight.around)).toBeGreaterThan(1.5);
      expect(contrast(highlight.text, highlight.background)).toBeGreaterThanOrEqual(4.5);
      expect(await cake.locator('.mention').evaluate((el) => getComputedStyle(el).fontWeight)).toBe('700');
      await audit(page, 'emoji-and-mentions');

      await options(pickUp).click();
      await pickUp.getByRole('button', { name: 'Edit' }).waitFor();
      await audit(page, 'options-open');
      await page.keyboard.press('Escape');
      await expect.poll(() => pickUp.getByRole('button', { name: 'Edit' }).count()).toBe(0);
      await expect.poll(() => isFocused(options(pickUp))).toBe(true);

      // The list rows' focus ring is drawn inside the row, not clipped by the scrolling list.
      if (kind === 'phone') await page.getByRole('link', { name: 'Back to conversations' }).click();
      await page.getByRole('button', { name: 'Notes' }).focus();
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const link = document.activeElement as HTMLElement;
        const list = link.closest('ul')!;
        const style = getComputedStyle(link);
        const reach = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth);
        const r = link.getBoundingClientRect();
        const l = list.getBoundingClientRect();
        return { row: link.matches('a.conversation:focus-visible'), style: style.outlineStyle, inside: r.left - reach >= l.left && r.right + reach <= l.right && r.top - reach >= l.top };
      });
      expect(ring).toEqual({ row: true, style: 'solid', inside: true });
      await page.context().close();
    }
    expect(family.pageErrors).toEqual([]);
  });
});
