// Pure checks of the theme rules: the CSS colour syntaxes accepted, theme validation, and WCAG AA contrast of the built-in themes.
import { describe, expect, it } from 'vitest';
import { themeCss } from '../src/branding/branding.js';
import { BUILTIN_THEMES } from '../src/branding/themes.js';
import { checkTheme, isCssColor, isCssLength, isFontFamily, REQUIRED_TOKENS, TOKEN_KEYS } from '../src/branding/validate.js';

/** WCAG 2.x relative luminance of a #rgb / #rrggbb colour. */
function luminance(hex: string): number {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not an opaque hex colour: ${hex}`);
  const digits = m[1]!.length === 3 ? [...m[1]!].map((d) => d + d).join('') : m[1]!;
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(digits.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two hex colours (1 to 21). */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const validTokens = () => ({
  'color.background': '#ffffff',
  'color.surface': 'rgb(250 250 250)',
  'color.text': 'hsl(210 20% 10%)',
  'color.accent': 'oklch(60% 0.15 250)',
  'color.bubble.mine': '#2f6fdf',
  'color.bubble.theirs': 'rgba(0, 0, 0, 0.05)',
  'font.family': '"Comic Neue", sans-serif',
  radius: '8px',
});

describe('the contrast helper itself', () => {
  it('gives the known WCAG values', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#fff', '#fff')).toBeCloseTo(1, 5);
    // #777777 on white is the classic just-below-AA grey (4.48:1).
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});

describe('built-in themes', () => {
  it('has light, dark and high-contrast with every required token', () => {
    expect(BUILTIN_THEMES.map((t) => t.id)).toEqual(expect.arrayContaining(['light', 'dark', 'high-contrast']));
    for (const theme of BUILTIN_THEMES) {
      for (const key of REQUIRED_TOKENS) expect(theme.tokens[key], `${theme.id} ${key}`).toBeTruthy();
    }
  });

  it('passes its own validation', () => {
    for (const theme of BUILTIN_THEMES) {
      const fields: Record<string, string> = {};
      expect(checkTheme(theme, 'theme', fields)).toEqual(theme);
      expect(fields).toEqual({});
    }
  });

  for (const id of ['light', 'dark', 'high-contrast']) {
    it(`${id}: text meets WCAG AA (4.5:1) on background, surface and every bubble`, () => {
      const theme = BUILTIN_THEMES.find((t) => t.id === id)!;
      const tk = theme.tokens;
      const pairs: [string, string, string][] = [
        ['color.text on color.background', tk['color.text']!, tk['color.background']!],
        ['color.text on color.surface', tk['color.text']!, tk['color.surface']!],
        ['color.bubble.mine.text on color.bubble.mine', tk['color.bubble.mine.text'] ?? tk['color.text']!, tk['color.bubble.mine']!],
        ['color.bubble.theirs.text on color.bubble.theirs', tk['color.bubble.theirs.text'] ?? tk['color.text']!, tk['color.bubble.theirs']!],
      ];
      if (tk['color.text.muted']) pairs.push(['color.text.muted on color.background', tk['color.text.muted'], tk['color.background']!]);
      if (tk['color.accent.text']) pairs.push(['color.accent.text on color.accent', tk['color.accent.text'], tk['color.accent']!]);
      for (const [what, fg, bg] of pairs) {
        expect(contrast(fg, bg), `${id}: ${what} (${fg} on ${bg})`).toBeGreaterThanOrEqual(4.5);
      }
    });
  }

  it('high-contrast reaches AAA (7:1) for body text', () => {
    const tk = BUILTIN_THEMES.find((t) => t.id === 'high-contrast')!.tokens;
    expect(contrast(tk['color.text']!, tk['color.background']!)).toBeGreaterThanOrEqual(7);
  });
});

describe('isCssColor', () => {
  it.each([
    '#abc',
    '#ABCD',
    '#aabbcc',
    '#aabbccdd',
    'rgb(1 2 3)',
    'rgb(1 2 3 / 50%)',
    'rgb(10% 20% 30% / 0.5)',
    'rgb(1,2,3)',
    'rgba(1,2,3,0.5)',
    'rgba(1, 2, 3, 50%)',
    'hsl(210 50% 40%)',
    'hsl(210deg 50% 40% / 0.8)',
    'hsl(210, 50%, 40%)',
    'hsla(210, 50%, 40%, 0.5)',
    'hwb(210 10% 20%)',
    'oklch(70% 0.1 250)',
    'oklch(0.7 0.1 250 / 50%)',
    'oklab(0.5 0.1 -0.1)',
    'lab(50% 40 59.5)',
    'lch(52.2% 72.2 50)',
    'transparent',
    'White',
    '  #fff  ',
  ])('accepts %s', (value) => {
    expect(isCssColor(value)).toBe(true);
  });

  it.each([
    '',
    'abc',
    '#ab',
    '#abcde',
    '#aabbccd',
    '#gggggg',
    'rgb(1 2)',
    'rgb(1, 2 3)',
    'rgb(1 2 3',
    'hsl(210, 50, 40)',
    'oklch(70% 0.1)',
    'red; background: url(x)',
    'url(https://evil.example/x.png)',
    'expression(alert(1))',
    'var(--x)',
    'notacolour',
    `#${'a'.repeat(200)}`,
  ])('rejects %j', (value) => {
    expect(isCssColor(value)).toBe(false);
  });
});

describe('isCssLength and isFontFamily', () => {
  it('accepts plain lengths and rejects the rest', () => {
    for (const ok of ['0', '12px', '0.5rem', '1em', '50%']) expect(isCssLength(ok), ok).toBe(true);
    for (const bad of ['', '12', '-1px', '12px; color: red', 'calc(1px + 2px)']) expect(isCssLength(bad), bad).toBe(false);
  });

  it('rejects font lists that could escape a CSS declaration', () => {
    expect(isFontFamily('"Noto Sans", sans-serif')).toBe(true);
    for (const bad of ['', '   ', 'a; color: red', 'x } body { color: red', 'a\\b', '<script>', 'a'.repeat(201)]) {
      expect(isFontFamily(bad), bad).toBe(false);
    }
  });
});

describe('checkTheme', () => {
  const check = (theme: unknown) => {
    const fields: Record<string, string> = {};
    const result = checkTheme(theme, 'themes[0]', fields);
    return { result, fields };
  };

  it('returns a valid theme, with the name trimmed', () => {
    const { result, fields } = check({ id: 'ocean-2', name: '  Ocean  ', scheme: 'light', tokens: validTokens() });
    expect(fields).toEqual({});
    expect(result).toEqual({ id: 'ocean-2', name: 'Ocean', scheme: 'light', tokens: validTokens() });
  });

  it('accepts every known optional token', () => {
    const tokens: Record<string, string> = validTokens();
    for (const key of TOKEN_KEYS) if (!(key in tokens)) tokens[key] = '#123456';
    expect(check({ id: 'full', name: 'Full', scheme: 'dark', tokens }).fields).toEqual({});
  });

  it('names an unknown token key', () => {
    const { result, fields } = check({ id: 'x', name: 'X', scheme: 'light', tokens: { ...validTokens(), 'color.sparkle': '#fff' } });
    expect(result).toBeUndefined();
    expect(fields).toEqual({ 'themes[0].tokens.color.sparkle': expect.any(String) });
  });

  it('names a bad colour, a bad radius, a bad font and a non-string token', () => {
    const { fields } = check({
      id: 'x',
      name: 'X',
      scheme: 'light',
      tokens: { ...validTokens(), 'color.text': 'blurple', radius: 'big', 'font.family': 'a; b', 'color.border': 7 },
    });
    expect(Object.keys(fields).sort()).toEqual([
      'themes[0].tokens.color.border',
      'themes[0].tokens.color.text',
      'themes[0].tokens.font.family',
      'themes[0].tokens.radius',
    ]);
  });

  it('names missing required tokens', () => {
    const tokens: Record<string, string> = validTokens();
    delete tokens['color.accent'];
    delete tokens.radius;
    const { fields } = check({ id: 'x', name: 'X', scheme: 'light', tokens });
    expect(Object.keys(fields).sort()).toEqual(['themes[0].tokens.color.accent', 'themes[0].tokens.radius']);
  });

  it('checks id, name length, scheme and shape', () => {
    expect(Object.keys(check({ id: 'Bad Id', name: 'n'.repeat(65), scheme: 'sepia', tokens: validTokens() }).fields).sort()).toEqual([
      'themes[0].id',
      'themes[0].name',
      'themes[0].scheme',
    ]);
    expect(check({ id: 'x', name: 'n'.repeat(64), scheme: 'dark', tokens: validTokens() }).fields).toEqual({});
    expect(check({ id: 'x', name: '   ', scheme: 'dark', tokens: validTokens() }).fields).toHaveProperty(['themes[0].name']);
    expect(check({ id: 'a'.repeat(33), name: 'X', scheme: 'dark', tokens: validTokens() }).fields).toHaveProperty(['themes[0].id']);
    expect(check({ id: 'x', name: 'X', scheme: 'dark', tokens: [] }).fields).toHaveProperty(['themes[0].tokens']);
    for (const notATheme of [null, 'light', 3, []]) expect(check(notATheme).fields).toHaveProperty(['themes[0]']);
  });
});

describe('themeCss', () => {
  it('turns every token into a custom property and sets the colour scheme', () => {
    const dark = BUILTIN_THEMES.find((t) => t.id === 'dark')!;
    const css = themeCss(dark);
    expect(css).toContain(':root {');
    expect(css).toContain('color-scheme: dark;');
    expect(css).toContain(`--color-background: ${dark.tokens['color.background']};`);
    expect(css).toContain(`--color-bubble-mine-text: ${dark.tokens['color.bubble.mine.text']};`);
    expect(css).toContain(`--radius: ${dark.tokens.radius};`);
    expect(css.match(/--[a-z-]+:/g)).toHaveLength(Object.keys(dark.tokens).length);
  });
});
