/**
 * @famichat/client: the typed SDK of the Famichat API.
 * @module
 */
export * from './api.js';
export * from './outbox.js';
export * from './realtime.js';
export * from './store.js';
export * from './upload.js';
export type * from './types.js';
export type { components, paths } from './api-types.js';
