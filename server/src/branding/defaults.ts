/**
 * The deployment's branding defaults from the environment (`FAMICHAT_APP_NAME`, ...); the admin's
 * saved branding in the database overrides them.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Theme } from './themes.js';
import { BUILTIN_THEMES } from './themes.js';
import { checkTheme, isLogoUrl } from './validate.js';

/** Branding defaults of the deployment. */
export interface BrandingDefaults {
  appName: string;
  tagline: string | null;
  logoUrl: string | null;
  defaultTheme: string;
  /** Extra themes from `FAMICHAT_THEMES_FILE`. */
  themes: Theme[];
}

/** Reads the branding variables; records each problem in `problems`. */
export function readBrandingEnv(env: NodeJS.ProcessEnv, problems: string[]): BrandingDefaults {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  let themes: Theme[] = [];
  const file = value('FAMICHAT_THEMES_FILE');
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (!Array.isArray(parsed)) throw new Error('the file must hold a JSON array of themes');
      const fields: Record<string, string> = {};
      themes = parsed.map((theme, i) => checkTheme(theme, `themes[${i}]`, fields)).filter((t): t is Theme => t !== undefined);
      for (const [field, reason] of Object.entries(fields)) problems.push(`FAMICHAT_THEMES_FILE: ${field} ${reason}`);
    } catch (error) {
      problems.push(`FAMICHAT_THEMES_FILE (${file}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const defaultTheme = value('FAMICHAT_DEFAULT_THEME') ?? 'light';
  if (![...BUILTIN_THEMES, ...themes].some((t) => t.id === defaultTheme)) {
    problems.push(`FAMICHAT_DEFAULT_THEME "${defaultTheme}" is neither a built-in theme nor one in FAMICHAT_THEMES_FILE`);
  }
  const logoUrl = value('FAMICHAT_LOGO_URL') ?? null;
  if (logoUrl !== null && !isLogoUrl(logoUrl)) problems.push('FAMICHAT_LOGO_URL must be an http(s) URL or a path starting with /');
  const ids = new Set<string>();
  for (const theme of themes) {
    if (ids.has(theme.id)) problems.push(`FAMICHAT_THEMES_FILE: the theme id "${theme.id}" is used twice`);
    ids.add(theme.id);
  }
  const appName = value('FAMICHAT_APP_NAME') ?? 'Famichat';
  if ([...appName].length > 64) problems.push('FAMICHAT_APP_NAME must be at most 64 characters');
  return {
    appName,
    tagline: value('FAMICHAT_TAGLINE') ?? null,
    logoUrl,
    defaultTheme,
    themes,
  };
}
