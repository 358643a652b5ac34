// Themes: resolve the user's preference (a theme id, or "system") to a theme and apply its tokens as CSS
// custom properties. The same rules run in the inline script of index.html before the first paint, from
// the keys saved here.
import type { Branding, Theme } from '@famichat/client';

export const THEME_KEY = 'famichat.theme';
const THEMES_KEY = 'famichat.themes';
const DEFAULT_KEY = 'famichat.defaultTheme';

/** A preference: a theme id, or follow the system. */
export type ThemePreference = string;

/** Which theme a preference means, given the system's settings and the available themes. */
export function resolveTheme(
  pref: ThemePreference | null,
  system: { dark: boolean; moreContrast: boolean },
  themes: ReadonlyArray<Pick<Theme, 'id' | 'scheme'>>,
  defaultTheme: string,
): string {
  if (pref && pref !== 'system' && themes.some((t) => t.id === pref)) return pref;
  if (system.moreContrast && themes.some((t) => t.id === 'high-contrast')) return 'high-contrast';
  const def = themes.find((t) => t.id === defaultTheme);
  if (def && (def.scheme === 'dark') === system.dark) return def.id;
  return system.dark ? 'dark' : 'light';
}

/** CSS custom property name of a token (`color.bubble.mine` -> `--color-bubble-mine`). */
export function cssVar(token: string): string {
  return `--${token.replace(/\./g, '-')}`;
}

export function systemSettings(): { dark: boolean; moreContrast: boolean } {
  const matches = (query: string) => typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches;
  return { dark: matches('(prefers-color-scheme: dark)'), moreContrast: matches('(prefers-contrast: more)') };
}

export function savedPreference(): ThemePreference {
  try {
    return localStorage.getItem(THEME_KEY) ?? 'system';
  } catch {
    return 'system';
  }
}

/** Remembers the branding's themes so the next page load can paint with them at once. */
export function cacheBranding(branding: Branding): void {
  const map: Record<string, { scheme: string; tokens: Record<string, string> }> = {};
  for (const t of branding.themes) map[t.id] = { scheme: t.scheme, tokens: t.tokens };
  try {
    localStorage.setItem(THEMES_KEY, JSON.stringify(map));
    localStorage.setItem(DEFAULT_KEY, branding.default_theme);
  } catch {
    /* private mode: the theme still applies for this page */
  }
}

/** Applies a theme to the document. */
export function applyTheme(theme: Theme | undefined, id: string): void {
  const root = document.documentElement;
  root.setAttribute('data-theme', id);
  if (!theme) return;
  root.style.colorScheme = theme.scheme;
  for (const [key, value] of Object.entries(theme.tokens)) root.style.setProperty(cssVar(key), value);
  const accent = theme.tokens['color.background'];
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta && accent) meta.setAttribute('content', accent);
}

/** Saves the preference locally (the server copy is saved by the caller) and applies it. */
export function setPreference(pref: ThemePreference, branding: Branding | undefined): string {
  try {
    localStorage.setItem(THEME_KEY, pref);
  } catch {
    /* ignore */
  }
  const themes = branding?.themes ?? [];
  const id = resolveTheme(pref, systemSettings(), themes.length ? themes : BUILTIN, branding?.default_theme ?? 'light');
  applyTheme(themes.find((t) => t.id === id), id);
  return id;
}

const BUILTIN: Array<Pick<Theme, 'id' | 'scheme'>> = [
  { id: 'light', scheme: 'light' },
  { id: 'dark', scheme: 'dark' },
  { id: 'high-contrast', scheme: 'dark' },
];
