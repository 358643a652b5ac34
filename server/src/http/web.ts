/**
 * Serves the built web client (`web/dist`) at `/`: hashed assets with long caching, the service worker
 * and manifest uncached, and `index.html` for every other browser navigation (SPA fallback). API and
 * socket paths never fall back: an unknown `/api/...` path keeps the JSON 404.
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the web client's production build lives, relative to this module (src/http or dist/http). */
export const DEFAULT_WEB_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../web/dist');

/** The `'sha256-...'` CSP sources of every inline `<script>` in an HTML page. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    const attributes = match[1] ?? '';
    const code = match[2] ?? '';
    if (/\ssrc\s*=/i.test(attributes) || code.length === 0) continue;
    hashes.push(`'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * The Content-Security-Policy of the app's HTML page: scripts from this origin plus the inline theme
 * script (by hash), WebSocket connections to this host, images from this origin, data: and https (a
 * white-label logo may live elsewhere). No `upgrade-insecure-requests`: a family server on a LAN address
 * is often plain http.
 */
export function appCsp(scriptHashes: string[], host: string | undefined): string {
  const safeHost = host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : undefined;
  const connect = ["'self'", ...(safeHost ? [`ws://${safeHost}`, `wss://${safeHost}`] : [])];
  return [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src ${connect.join(' ')}`,
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data: blob: https:",
    "manifest-src 'self'",
    "object-src 'none'",
    `script-src 'self' ${scriptHashes.join(' ')}`.trim(),
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    "worker-src 'self'",
  ].join('; ');
}

/** Whether a request is a browser navigation that the single-page app should answer. */
function wantsApp(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '/';
  if (path === '/api' || path.startsWith('/api/') || path === '/socket' || path.startsWith('/socket/')) return false;
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

/**
 * Registers the web client on `app` when `dir` holds a build (`index.html`); returns whether it did.
 * The server runs API-only when the web client has not been built.
 */
export async function registerWeb(app: FastifyInstance, dir: string = DEFAULT_WEB_DIR): Promise<boolean> {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return false;
  const html = readFileSync(indexPath, 'utf8');
  const hashes = inlineScriptHashes(html);

  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: false,
    wildcard: false,
    serve: true,
    setHeaders: (reply, path) => {
      // Vite's hashed assets never change; everything else (sw.js, manifest, icons) is revalidated.
      void reply.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const sendIndex = (request: FastifyRequest, reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', appCsp(hashes, request.headers.host))
      .send(html);

  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, (request, reply) => (wantsApp(request) ? sendIndex(request, reply) : reply.callNotFound()));
  return true;
}
