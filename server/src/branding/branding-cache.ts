/**
 * A node's copy of the effective branding, read once and dropped when any node saves. Built once per app
 * (see `buildApp`) and reached as `deps.branding`.
 * @module
 */
import type { BrandingView } from '../contract/objects.js';

/** One node's cached branding. */
export class BrandingCache {
  /** The effective branding, once read. */
  view: BrandingView | undefined;

  /** Forgets it: the next read goes to the database. */
  drop(): void {
    this.view = undefined;
  }
}
