/**
 * A node's copy of the effective branding, read once and dropped when any node saves. Built once per app
 * (see `buildApp`) and reached as `deps.branding`.
 * @module
 */
import type { Theme } from './themes.js';

/** The branding clients see. */
export interface BrandingView {
  app_name: string;
  tagline: string | null;
  logo_url: string | null;
  default_theme: string;
  themes: Theme[];
}

/** One node's cached branding. */
export class BrandingCache {
  /** The effective branding, once read. */
  view: BrandingView | undefined;

  /** Forgets it: the next read goes to the database. */
  drop(): void {
    this.view = undefined;
  }
}
