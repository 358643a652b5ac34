// The web client served at `/`: static files, SPA fallback for browser navigations, JSON 404 for the API,
// and a Content-Security-Policy that lets the inline theme script run (by hash) and nothing else inline.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import { loadConfig } from '../src/config.js';
import { appCsp, inlineScriptHashes } from '../src/http/web.js';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';

const themeScript = "document.documentElement.dataset.theme='dark';";
const html = `<!doctype html><html><head><script>${themeScript}</script><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>`;

let dir: string;
let db: TestDatabase;
let app: FastifyInstance;
let bare: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'famichat-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), html);
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log("app");');
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  db = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  ({ app } = await buildApp({ config, database: db.database, bus: createLocalBus(), webDir: dir }));
  await app.ready();
  ({ app: bare } = await buildApp({ config, database: db.database, bus: createLocalBus(), webDir: join(dir, 'missing') }));
  await bare.ready();
});

afterAll(async () => {
  await app?.close();
  await bare?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web client at /', () => {
  it('serves index.html at / with a CSP that allows exactly the inline theme script and sockets to this host', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html', host: 'chat.example.org' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(html);
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    const hash = createHash('sha256').update(themeScript).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("connect-src 'self' ws://chat.example.org wss://chat.example.org");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('answers browser navigations to client routes with index.html (SPA fallback)', async () => {
    for (const url of ['/invite/abc', '/c/123?x=1', '/admin']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(html);
    }
  });

  it('keeps the JSON 404 for unknown API and socket paths, and for non-HTML requests', async () => {
    for (const url of ['/api/v1/nope', '/api/nope', '/socket/nope']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const res = await app.inject({ method: 'GET', url: '/missing.js', headers: { accept: '*/*' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('serves hashed assets cached for a year and the service worker revalidated', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log("app");');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const sw = await app.inject({ method: 'GET', url: '/sw.js' });
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
  });

  it('leaves the API untouched', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/setup', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ needs_setup: true });
  });

  it('runs API-only when the web client is not built', async () => {
    const res = await bare.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});

describe('CSP helpers', () => {
  it('hashes inline scripts only, and ignores a Host header that is not a host', () => {
    expect(inlineScriptHashes('<script src="/a.js"></script><script></script>')).toEqual([]);
    expect(inlineScriptHashes('<script type="module">x()</script>')).toHaveLength(1);
    const csp = appCsp([], 'evil.example; script-src *');
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("script-src 'self';");
  });
});
