/**
 * Validation of themes and branding input: known token keys, CSS colours (hex, rgb(), hsl(), oklch()
 * and friends), lengths. Problems are collected into `details.fields`-style maps.
 * @module
 */
import type { Theme } from './themes.js';

/** Every token a theme may set; the first eight are required. */
export const TOKEN_KEYS = [
  'color.background',
  'color.surface',
  'color.text',
  'color.accent',
  'color.bubble.mine',
  'color.bubble.theirs',
  'font.family',
  'radius',
  'color.text.muted',
  'color.accent.text',
  'color.bubble.mine.text',
  'color.bubble.theirs.text',
  'color.border',
] as const;

/** Tokens every theme must have. */
export const REQUIRED_TOKENS: readonly string[] = TOKEN_KEYS.slice(0, 8);

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?`;
const PERCENT = `${NUMBER}%`;
const ANGLE = `${NUMBER}(?:deg|rad|grad|turn)?`;
const NUM_OR_PCT = `(?:${PERCENT}|${NUMBER}|none)`;
const ALPHA = `(?:\\s*/\\s*${NUM_OR_PCT})?`;
const COMMA_ALPHA = `(?:\\s*,\\s*${NUM_OR_PCT})?`;
const COLOR_PATTERNS = [
  /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i,
  // rgb()/rgba(): modern space syntax or legacy commas
  new RegExp(`^rgba?\\(\\s*${NUM_OR_PCT}\\s+${NUM_OR_PCT}\\s+${NUM_OR_PCT}${ALPHA}\\s*\\)$`, 'i'),
  new RegExp(`^rgba?\\(\\s*${NUM_OR_PCT}\\s*,\\s*${NUM_OR_PCT}\\s*,\\s*${NUM_OR_PCT}${COMMA_ALPHA}\\s*\\)$`, 'i'),
  // hsl()/hsla()/hwb()
  new RegExp(`^(?:hsla?|hwb)\\(\\s*(?:${ANGLE}|none)\\s+${NUM_OR_PCT}\\s+${NUM_OR_PCT}${ALPHA}\\s*\\)$`, 'i'),
  new RegExp(`^hsla?\\(\\s*${ANGLE}\\s*,\\s*${PERCENT}\\s*,\\s*${PERCENT}${COMMA_ALPHA}\\s*\\)$`, 'i'),
  // lab()/lch()/oklab()/oklch()
  new RegExp(`^(?:ok)?(?:lab|lch)\\(\\s*${NUM_OR_PCT}\\s+${NUM_OR_PCT}\\s+(?:${ANGLE}|${NUM_OR_PCT})${ALPHA}\\s*\\)$`, 'i'),
];
const NAMED = new Set(['transparent', 'black', 'white', 'red', 'green', 'blue', 'yellow', 'orange', 'purple', 'gray', 'grey', 'navy', 'teal', 'maroon', 'olive', 'silver', 'lime', 'aqua', 'fuchsia', 'currentcolor']);

/** Whether `value` is a CSS colour in a syntax people use (hex, rgb(), hsl(), hwb(), lab(), lch(), oklab(), oklch(), basic names). */
export function isCssColor(value: string): boolean {
  const v = value.trim();
  return v.length <= 100 && (NAMED.has(v.toLowerCase()) || COLOR_PATTERNS.some((re) => re.test(v)));
}

/** Whether `value` is a CSS length usable as a corner radius. */
export function isCssLength(value: string): boolean {
  return /^(?:0|(?:\d+\.?\d*|\.\d+)(?:px|rem|em|%))$/.test(value.trim());
}

/** Whether `value` is a font-family list without characters that could escape a CSS declaration. */
export function isFontFamily(value: string): boolean {
  return value.trim().length > 0 && value.length <= 200 && !/[;{}<>\\\r\n]|\/\*|\*\//.test(value);
}

/** Whether `value` can be a logo's address: an http(s) URL or a path on this server (never javascript: or data:). */
export function isLogoUrl(value: string): boolean {
  return value.length <= 2048 && /^(?:https?:\/\/[^\s"'<>]+|\/[^\s"'<>]*)$/.test(value);
}

const THEME_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * Checks one theme; records problems in `fields` under `path` and returns the theme when valid.
 */
export function checkTheme(value: unknown, path: string, fields: Record<string, string>): Theme | undefined {
  const before = Object.keys(fields).length;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    fields[path] = 'must be a theme object {id, name, scheme, tokens}';
    return undefined;
  }
  const theme = value as Record<string, unknown>;
  if (typeof theme.id !== 'string' || !THEME_ID.test(theme.id)) fields[`${path}.id`] = 'must be 1-32 of a-z, 0-9 and -';
  if (typeof theme.name !== 'string' || theme.name.trim().length === 0 || [...theme.name].length > 64) {
    fields[`${path}.name`] = 'must be 1-64 characters';
  }
  if (theme.scheme !== 'light' && theme.scheme !== 'dark') fields[`${path}.scheme`] = 'must be "light" or "dark"';
  const tokens = theme.tokens;
  if (!tokens || typeof tokens !== 'object' || Array.isArray(tokens)) {
    fields[`${path}.tokens`] = 'must be an object of design tokens';
  } else {
    const entries = tokens as Record<string, unknown>;
    for (const [key, token] of Object.entries(entries)) {
      const field = `${path}.tokens.${key}`;
      if (!(TOKEN_KEYS as readonly string[]).includes(key)) fields[field] = 'is not a known token';
      else if (typeof token !== 'string') fields[field] = 'must be a string';
      else if (key.startsWith('color.') && !isCssColor(token)) fields[field] = 'is not a CSS colour';
      else if (key === 'radius' && !isCssLength(token)) fields[field] = 'must be a CSS length such as 12px';
      else if (key === 'font.family' && !isFontFamily(token)) fields[field] = 'must be a font-family list';
    }
    for (const key of REQUIRED_TOKENS) if (!(key in entries)) fields[`${path}.tokens.${key}`] = 'is required';
  }
  if (Object.keys(fields).length > before) return undefined;
  return {
    id: theme.id as string,
    name: (theme.name as string).trim(),
    scheme: theme.scheme as 'light' | 'dark',
    tokens: { ...(tokens as Record<string, string>) },
  };
}
