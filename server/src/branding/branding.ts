/**
 * The effective branding: built-in themes, then the deployment's defaults (environment), then what the
 * instance admin saved (database). Cached per process; every node drops its cache when any node saves.
 * @module
 */
import { sql } from 'drizzle-orm';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { notFound, validationFailed } from '../errors.js';
import type { Topic } from '../bus/bus.js';
import { publish, subscribe } from '../bus/bus.js';
import type { Theme } from './themes.js';
import { BUILTIN_THEMES } from './themes.js';
import { checkTheme, isLogoUrl } from './validate.js';
import type { BrandingView } from '../contract/objects.js';

/** What the admin saved (each field overrides the deployment default). */
interface StoredBranding {
  app_name?: string;
  tagline?: string | null;
  logo_url?: string | null;
  default_theme?: string;
  themes?: Theme[];
}

/** The bus topic announcing a branding change to every node and every connected user. */
export const BRANDING_TOPIC: Topic<{ branding_updated: { branding: BrandingView } }> = 'branding';

/** Drops every node's cached branding whenever any node saves (call once per app). */
export function watchBranding(deps: Deps): () => void {
  return subscribe(deps.bus, BRANDING_TOPIC, () => deps.branding.drop());
}

function merge(deps: Deps, stored: StoredBranding): BrandingView {
  const defaults = deps.config.branding;
  const byId = new Map<string, Theme>();
  for (const theme of [...BUILTIN_THEMES, ...defaults.themes, ...(stored.themes ?? [])]) byId.set(theme.id, theme);
  const wanted = stored.default_theme ?? defaults.defaultTheme;
  return {
    app_name: stored.app_name ?? defaults.appName,
    tagline: stored.tagline !== undefined ? stored.tagline : defaults.tagline,
    logo_url: stored.logo_url !== undefined ? stored.logo_url : defaults.logoUrl,
    // A saved default whose theme has since gone (a changed FAMICHAT_THEMES_FILE) yields the deployment's.
    default_theme: byId.has(wanted) ? wanted : byId.has(defaults.defaultTheme) ? defaults.defaultTheme : 'light',
    themes: [...byId.values()],
  };
}

async function readStored(deps: Deps): Promise<StoredBranding> {
  const row = await firstRow<{ branding: StoredBranding }>(deps.db, sql`SELECT branding FROM instance WHERE id = 1`);
  return row?.branding ?? {};
}

/** The effective branding (public). */
export async function getBranding(deps: Deps): Promise<BrandingView> {
  const cached = deps.branding.view;
  if (cached) return cached;
  const view = merge(deps, await readStored(deps));
  deps.branding.view = view;
  return view;
}

/**
 * One theme by id.
 * @throws {AppError} `not_found`.
 */
export async function getTheme(deps: Deps, id: string): Promise<Theme> {
  const theme = (await getBranding(deps)).themes.find((t) => t.id === id);
  if (!theme) throw notFound('theme');
  return theme;
}

/** Whether a theme id exists (for users' theme preference). */
export async function themeExists(deps: Deps, id: string): Promise<boolean> {
  return (await getBranding(deps)).themes.some((t) => t.id === id);
}

/** A branding change from the instance admin. */
export interface BrandingInput {
  app_name?: unknown;
  tagline?: unknown;
  logo_url?: unknown;
  default_theme?: unknown;
  themes?: unknown;
}


/**
 * Validates and saves the admin's branding (fields not given keep their value; `themes` replaces the
 * admin's custom themes, and may not remove the saved default theme unless a new one is given), then
 * tells every node and connected user.
 * @throws {AppError} `validation_failed` with `details.fields` for every problem.
 */
export async function updateBranding(deps: Deps, input: BrandingInput): Promise<BrandingView> {
  const fields: Record<string, string> = {};
  const patch: StoredBranding = {};
  if (input.app_name !== undefined) {
    const name = typeof input.app_name === 'string' ? input.app_name.trim() : '';
    if (name.length === 0 || [...name].length > 64) fields.app_name = 'must be 1-64 characters';
    else patch.app_name = name;
  }
  if (input.tagline !== undefined) {
    if (input.tagline === null) patch.tagline = null;
    else if (typeof input.tagline !== 'string' || [...input.tagline.trim()].length > 140) fields.tagline = 'must be at most 140 characters, or null';
    else patch.tagline = input.tagline.trim() || null;
  }
  if (input.logo_url !== undefined) {
    if (input.logo_url === null) patch.logo_url = null;
    else if (typeof input.logo_url !== 'string' || !isLogoUrl(input.logo_url)) {
      fields.logo_url = 'must be an http(s) URL or a path starting with /, or null';
    } else patch.logo_url = input.logo_url;
  }
  if (input.themes !== undefined) {
    if (!Array.isArray(input.themes) || input.themes.length > 50) {
      fields.themes = 'must be an array of at most 50 themes';
    } else {
      const themes = input.themes.map((theme, i) => checkTheme(theme, `themes[${i}]`, fields));
      const ids = new Set<string>();
      themes.forEach((theme, i) => {
        if (theme && ids.has(theme.id)) fields[`themes[${i}].id`] = 'is used by another theme';
        if (theme) ids.add(theme.id);
      });
      patch.themes = themes.filter((t): t is Theme => t !== undefined);
    }
  }
  const stored = await readStored(deps);
  if (input.default_theme !== undefined) {
    const next = merge(deps, { ...stored, ...patch });
    if (typeof input.default_theme !== 'string' || !next.themes.some((t) => t.id === input.default_theme)) {
      fields.default_theme = 'must be the id of an existing theme';
    } else patch.default_theme = input.default_theme;
  } else if (patch.themes && stored.default_theme !== undefined && Object.keys(fields).length === 0) {
    // Replacing the custom themes must not leave the saved default pointing at a theme that is gone.
    if (!merge(deps, { ...stored, ...patch }).themes.some((t) => t.id === stored.default_theme)) {
      fields.default_theme = `is "${stored.default_theme}", which these themes remove: choose another default_theme`;
    }
  }
  if (Object.keys(fields).length > 0) throw validationFailed(fields, 'The branding is not valid.');
  // jsonb || merges atomically, so two admins saving different fields at once both keep theirs.
  await deps.db.execute(sql`UPDATE instance SET branding = branding || ${JSON.stringify(patch)}::jsonb WHERE id = 1`);
  deps.branding.drop();
  const branding = await getBranding(deps);
  await publish(deps.bus, { topic: BRANDING_TOPIC, event: 'branding_updated', payload: { branding } });
  return branding;
}

/** A theme as CSS custom properties (`color.bubble.mine` becomes `--color-bubble-mine`). */
export function themeCss(theme: Theme): string {
  const lines = Object.entries(theme.tokens).map(([key, value]) => `  --${key.replace(/\./g, '-')}: ${value};`);
  return `/* Famichat theme "${theme.id}" */\n:root {\n  color-scheme: ${theme.scheme};\n${lines.join('\n')}\n}\n`;
}
