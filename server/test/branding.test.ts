// Branding and themes over HTTP: public reads, the CSS form, the instance admin's update (auth, validation,
// persistence, env defaults losing to saved values), themes as user preferences, and the branding_updated push.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import type { Config } from '../src/config.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Database } from '../src/db/connect.js';
import { openDatabase } from '../src/db/connect.js';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, setupInstance } from './helpers/fixtures.js';
import { collect, connect, joinChannel } from './helpers/phoenix.js';

let t: TestApp;
let admin: Person;
let familyAdmin: Person;
let member: Person;
let familyId: string;
const dir = mkdtempSync(join(tmpdir(), 'famichat-branding-'));

/** A valid custom theme (every required token, some optional ones). */
function theme(id: string, overrides: Record<string, unknown> = {}, tokens: Record<string, unknown> = {}) {
  return {
    id,
    name: `Theme ${id}`,
    scheme: 'light',
    tokens: {
      'color.background': '#fdf6e3',
      'color.surface': '#ffffff',
      'color.text': '#073642',
      'color.accent': '#268bd2',
      'color.bubble.mine': '#268bd2',
      'color.bubble.theirs': '#eee8d5',
      'font.family': '"Atkinson Hyperlegible", sans-serif',
      radius: '16px',
      ...tokens,
    },
    ...overrides,
  };
}

/** Expects a 422 whose details.fields names exactly `fields` (and nothing was saved). */
async function expect422(body: unknown, fields: string[]) {
  const before = await t.as().get('/api/v1/branding');
  const res = await t.as(admin.token).put('/api/v1/admin/branding', body);
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.error.code).toBe('validation_failed');
  expect(Object.keys(res.body.error.details.fields).sort()).toEqual([...fields].sort());
  for (const field of fields) expect(typeof res.body.error.details.fields[field]).toBe('string');
  const after = await t.as().get('/api/v1/branding');
  expect(after.body.data).toEqual(before.body.data);
}

/** Builds another app (a "restart", or a second node) on a fresh connection to the database of `on`. */
async function secondApp(on: TestApp, config: Config = on.config) {
  const database: Database = on.db.url ? await openDatabase({ databaseUrl: on.db.url, poolSize: 2 }) : on.db.database;
  const { app } = await buildApp({ config, database, bus: createLocalBus() });
  await app.ready();
  return {
    get: async (path: string) => {
      const res = await app.inject({ method: 'GET', url: path });
      return { status: res.statusCode, body: res.json() };
    },
    close: async () => {
      await app.close();
      if (on.db.url) await database.close();
    },
  };
}

beforeAll(async () => {
  t = await startTestApp();
  ({ admin, familyId } = await setupInstance(t));
  familyAdmin = await addMember(t, admin, familyId, 'admin');
  member = await addMember(t, admin, familyId, 'member');
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('public reads', () => {
  it('GET /branding needs no token and gives the defaults with the built-in themes', async () => {
    const res = await t.as().get('/api/v1/branding');
    expect(res.status).toBe(200);
    expect(res.body.meta).toBeDefined();
    expect(res.body.data).toMatchObject({ app_name: 'Famichat', tagline: null, logo_url: null, default_theme: 'light' });
    const ids = res.body.data.themes.map((x: any) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['light', 'dark', 'high-contrast']));
    for (const th of res.body.data.themes) {
      expect(th).toEqual({ id: expect.any(String), name: expect.any(String), scheme: expect.stringMatching(/^(light|dark)$/), tokens: expect.any(Object) });
      for (const key of ['color.background', 'color.surface', 'color.text', 'color.accent', 'color.bubble.mine', 'color.bubble.theirs', 'font.family', 'radius']) {
        expect(th.tokens[key], `${th.id} ${key}`).toEqual(expect.any(String));
      }
    }
  });

  it('GET /themes/:id needs no token and gives the same theme as in /branding', async () => {
    const branding = await t.as().get('/api/v1/branding');
    for (const id of ['light', 'dark', 'high-contrast']) {
      const res = await t.as().get(`/api/v1/themes/${id}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(branding.body.data.themes.find((x: any) => x.id === id));
    }
    expect((await t.as().get('/api/v1/themes/dark')).body.data.scheme).toBe('dark');
  });

  it('an unknown theme is 404 not_found, as JSON and as CSS', async () => {
    for (const path of ['/api/v1/themes/nope', '/api/v1/themes/nope.css', '/api/v1/themes/LIGHT']) {
      const res = await t.as().get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(String(res.headers['content-type'])).toContain('application/json');
    }
  });

  it('GET /themes/:id.css gives the tokens as CSS custom properties', async () => {
    const dark = (await t.as().get('/api/v1/themes/dark')).body.data;
    const res = await t.as().get('/api/v1/themes/dark.css');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/css/);
    const css = res.body as string;
    expect(typeof css).toBe('string');
    expect(css).toMatch(/:root\s*\{[\s\S]*\}/);
    expect(css).toContain('color-scheme: dark;');
    expect(css).toContain(`--color-background: ${dark.tokens['color.background']};`);
    expect(css).toContain(`--color-surface: ${dark.tokens['color.surface']};`);
    expect(css).toContain(`--color-text: ${dark.tokens['color.text']};`);
    expect(css).toContain(`--color-bubble-mine: ${dark.tokens['color.bubble.mine']};`);
    expect(css).toContain(`--color-bubble-theirs: ${dark.tokens['color.bubble.theirs']};`);
    expect(css).toContain(`--font-family: ${dark.tokens['font.family']};`);
    expect(css).toContain(`--radius: ${dark.tokens.radius};`);
    expect(css.match(/--[a-z-]+:/g)).toHaveLength(Object.keys(dark.tokens).length);
    const light = await t.as().get('/api/v1/themes/light.css');
    expect(light.body).toContain('color-scheme: light;');
    expect(light.body).not.toEqual(css);
  });
});

describe('PUT /admin/branding: who may', () => {
  it('without a token is 401', async () => {
    const res = await t.as().put('/api/v1/admin/branding', { app_name: 'Hijacked' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('a family admin who is not the instance admin, and a member, get 403 and nothing changes', async () => {
    for (const who of [familyAdmin, member]) {
      const res = await t.as(who.token).put('/api/v1/admin/branding', { app_name: 'Hijacked' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await t.as().get('/api/v1/branding')).body.data.app_name).toBe('Famichat');
  });

  it('the instance admin sees is_instance_admin in /me, the family admin does not', async () => {
    expect((await t.as(admin.token).get('/api/v1/me')).body.data.is_instance_admin).toBe(true);
    expect((await t.as(familyAdmin.token).get('/api/v1/me')).body.data.is_instance_admin).toBe(false);
  });
});

describe('PUT /admin/branding: validation (422 with details.fields)', () => {
  it('an unknown token key', async () => {
    await expect422({ themes: [theme('ocean', {}, { 'color.sparkle': '#fff' })] }, ['themes[0].tokens.color.sparkle']);
  });

  it('a bad colour, whatever the token', async () => {
    await expect422({ themes: [theme('ocean', {}, { 'color.text': 'blurple' })] }, ['themes[0].tokens.color.text']);
    await expect422({ themes: [theme('ocean', {}, { 'color.bubble.mine': '#12345' })] }, ['themes[0].tokens.color.bubble.mine']);
    await expect422({ themes: [theme('ocean', {}, { 'color.background': 'red; } body { display: none' })] }, ['themes[0].tokens.color.background']);
  });

  it('a theme name too long (over 64), a bad id, a bad scheme, a missing required token', async () => {
    await expect422({ themes: [theme('ocean', { name: 'n'.repeat(65) })] }, ['themes[0].name']);
    await expect422({ themes: [theme('Ocean Blue')] }, ['themes[0].id']);
    await expect422({ themes: [theme('ocean', { scheme: 'sepia' })] }, ['themes[0].scheme']);
    const missing = theme('ocean');
    delete (missing.tokens as Record<string, unknown>).radius;
    await expect422({ themes: [missing] }, ['themes[0].tokens.radius']);
  });

  it('app_name empty, blank, too long or not a string', async () => {
    await expect422({ app_name: '' }, ['app_name']);
    await expect422({ app_name: '   ' }, ['app_name']);
    await expect422({ app_name: 'a'.repeat(65) }, ['app_name']);
    await expect422({ app_name: 42 }, ['app_name']);
  });

  it('a tagline too long', async () => {
    await expect422({ tagline: 't'.repeat(141) }, ['tagline']);
  });

  it('a default_theme that does not exist', async () => {
    await expect422({ default_theme: 'nope' }, ['default_theme']);
    await expect422({ default_theme: 7 }, ['default_theme']);
  });

  it('themes not an array', async () => {
    await expect422({ themes: theme('ocean') }, ['themes']);
    await expect422({ themes: 'ocean' }, ['themes']);
  });

  it('duplicate theme ids', async () => {
    await expect422({ themes: [theme('ocean'), theme('ocean', { name: 'Again' })] }, ['themes[1].id']);
  });

  it('a logo_url with a javascript:, data: or relative URL', async () => {
    await expect422({ logo_url: 'javascript:alert(1)' }, ['logo_url']);
    await expect422({ logo_url: 'JavaScript:alert(1)' }, ['logo_url']);
    await expect422({ logo_url: 'data:image/svg+xml,<svg onload=alert(1)>' }, ['logo_url']);
    await expect422({ logo_url: 'logo.png' }, ['logo_url']);
  });

  it('names every problem at once and saves none of the valid fields', async () => {
    await expect422(
      { app_name: 'Valid Name', tagline: 'fine', default_theme: 'nope', themes: [theme('ocean', {}, { 'color.text': 'nope', 'color.extra': '#fff' })] },
      ['default_theme', 'themes[0].tokens.color.text', 'themes[0].tokens.color.extra'],
    );
  });

  it('a default_theme naming a theme rejected in the same request is refused too', async () => {
    await expect422({ default_theme: 'ocean', themes: [theme('ocean', {}, { radius: 'huge' })] }, ['default_theme', 'themes[0].tokens.radius']);
  });
});

describe('PUT /admin/branding: saving', () => {
  it('accepts the CSS colour syntaxes people use, and serves them back as given', async () => {
    const syntaxes = {
      'color.background': '#abc',
      'color.surface': '#aabbcc',
      'color.text': '#aabbccdd',
      'color.accent': 'rgb(1 2 3 / 50%)',
      'color.bubble.mine': 'rgba(1,2,3,0.5)',
      'color.bubble.theirs': 'hsl(210 50% 40%)',
      'color.border': 'hsl(210, 50%, 40%)',
      'color.text.muted': 'oklch(70% 0.1 250)',
    };
    const res = await t.as(admin.token).put('/api/v1/admin/branding', { themes: [theme('syntaxes', {}, syntaxes)] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const got = await t.as().get('/api/v1/themes/syntaxes');
    expect(got.status).toBe(200);
    expect(got.body.data.tokens).toMatchObject(syntaxes);
    const css = (await t.as().get('/api/v1/themes/syntaxes.css')).body as string;
    expect(css).toContain('--color-accent: rgb(1 2 3 / 50%);');
    expect(css).toContain('--color-text-muted: oklch(70% 0.1 250);');
  });

  it('the instance admin saves; the answer and the next GET /branding show it; fields not given keep their value', async () => {
    const body = {
      app_name: '  Die Müllers 👨‍👩‍👧  ',
      tagline: 'Nur für uns',
      logo_url: 'https://cdn.example.org/logo.svg',
      default_theme: 'ocean',
      themes: [theme('ocean', { name: 'Ocean', scheme: 'dark' }, { 'color.background': '#001f3f', 'color.text': '#f0f8ff' }), theme('forest')],
    };
    const res = await t.as(admin.token).put('/api/v1/admin/branding', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({
      app_name: 'Die Müllers 👨‍👩‍👧',
      tagline: 'Nur für uns',
      logo_url: 'https://cdn.example.org/logo.svg',
      default_theme: 'ocean',
    });
    const ids = res.body.data.themes.map((x: any) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['light', 'dark', 'high-contrast', 'ocean', 'forest']));
    // The earlier custom theme was replaced by this request's list.
    expect(ids).not.toContain('syntaxes');
    expect((await t.as().get('/api/v1/themes/syntaxes')).status).toBe(404);
    expect((await t.as().get('/api/v1/themes/syntaxes.css')).status).toBe(404);

    const get = await t.as().get('/api/v1/branding');
    expect(get.body.data).toEqual(res.body.data);
    const ocean = await t.as().get('/api/v1/themes/ocean');
    expect(ocean.body.data).toEqual(body.themes[0]);
    const css = await t.as().get('/api/v1/themes/ocean.css');
    expect(css.status).toBe(200);
    expect(css.body).toContain('--color-background: #001f3f;');
    expect(css.body).toContain('color-scheme: dark;');

    // A partial update keeps everything else.
    const partial = await t.as(admin.token).put('/api/v1/admin/branding', { tagline: 'Neu' });
    expect(partial.status).toBe(200);
    expect(partial.body.data).toEqual({ ...res.body.data, tagline: 'Neu' });
  });

  it('null clears the tagline and the logo; a /path logo is accepted; 64 characters is the longest name', async () => {
    const cleared = await t.as(admin.token).put('/api/v1/admin/branding', { tagline: null, logo_url: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data).toMatchObject({ tagline: null, logo_url: null, default_theme: 'ocean' });
    const longest = '界'.repeat(64);
    const res = await t.as(admin.token).put('/api/v1/admin/branding', { logo_url: '/static/logo.png', app_name: longest });
    expect(res.status).toBe(200);
    expect((await t.as().get('/api/v1/branding')).body.data).toMatchObject({ logo_url: '/static/logo.png', app_name: longest, tagline: null });
  });

  it('a custom theme becomes a valid user preference; an unknown one is 422', async () => {
    const ok = await t.as(member.token).patch('/api/v1/me', { preferences: { theme: 'forest' } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.preferences.theme).toBe('forest');
    expect((await t.as(member.token).get('/api/v1/me')).body.data.preferences.theme).toBe('forest');

    const bad = await t.as(member.token).patch('/api/v1/me', { preferences: { theme: 'nope' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.fields).toHaveProperty(['preferences.theme']);
    expect((await t.as(member.token).get('/api/v1/me')).body.data.preferences.theme).toBe('forest');

    expect((await t.as(member.token).patch('/api/v1/me', { preferences: { theme: 'high-contrast' } })).body.data.preferences.theme).toBe('high-contrast');
    expect((await t.as(member.token).patch('/api/v1/me', { preferences: { theme: null } })).body.data.preferences.theme).toBeNull();
  });

  it('removing the custom theme that is the default is refused until another default is chosen', async () => {
    await expect422({ themes: [theme('forest')] }, ['default_theme']);
    const res = await t.as(admin.token).put('/api/v1/admin/branding', { themes: [theme('forest')], default_theme: 'forest' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.default_theme).toBe('forest');
    expect(res.body.data.themes.map((x: any) => x.id)).not.toContain('ocean');
    expect((await t.as(admin.token).put('/api/v1/admin/branding', { default_theme: 'dark', themes: [theme('forest'), theme('ocean')] })).status).toBe(200);
  });

  it('a preference for a theme the admin removes reads as null (the default) in /me and at login, and comes back with the theme', async () => {
    expect((await t.as(member.token).patch('/api/v1/me', { preferences: { theme: 'ocean' } })).status).toBe(200);
    expect((await t.as(admin.token).put('/api/v1/admin/branding', { themes: [theme('forest')] })).status).toBe(200);

    expect((await t.as(member.token).get('/api/v1/me')).body.data.preferences).toEqual({ theme: null });
    const login = await t.as().post('/api/v1/auth/login', { username: member.username, password: 'correct horse' });
    expect(login.status).toBe(200);
    expect(login.body.data.user.preferences).toEqual({ theme: null });
    const rename = await t.as(member.token).patch('/api/v1/me', { display_name: 'Still Here' });
    expect(rename.body.data.preferences).toEqual({ theme: null });

    expect((await t.as(admin.token).put('/api/v1/admin/branding', { themes: [theme('forest'), theme('ocean')] })).status).toBe(200);
    expect((await t.as(member.token).get('/api/v1/me')).body.data.preferences).toEqual({ theme: 'ocean' });
  });

  it('what the admin saved survives a restart (a new app on the same database)', async () => {
    const saved = (await t.as().get('/api/v1/branding')).body.data;
    expect(saved.default_theme).toBe('dark');
    const again = await secondApp(t);
    try {
      const res = await again.get('/api/v1/branding');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(saved);
      expect((await again.get('/api/v1/themes/ocean')).body.data).toEqual(theme('ocean'));
    } finally {
      await again.close();
    }
  });
});

describe('branding_updated', () => {
  it('reaches every connected user on their user:<id> channel after a PUT, and a refused PUT sends nothing', async () => {
    const url = await t.listen();
    const sa = await connect(url, admin.token);
    const sm = await connect(url, member.token);
    try {
      const ua = await joinChannel(sa, `user:${admin.id}`);
      const um = await joinChannel(sm, `user:${member.id}`);
      const inA = collect(ua.channel, 'branding_updated');
      const inM = collect(um.channel, 'branding_updated');

      const refused = await t.as(admin.token).put('/api/v1/admin/branding', { default_theme: 'nope' });
      expect(refused.status).toBe(422);
      const forbidden = await t.as(member.token).put('/api/v1/admin/branding', { app_name: 'Nope' });
      expect(forbidden.status).toBe(403);

      const res = await t.as(admin.token).put('/api/v1/admin/branding', { app_name: 'Live Name', default_theme: 'high-contrast' });
      expect(res.status).toBe(200);
      const [a, m] = await Promise.all([inA.next(), inM.next()]);
      // The first event is the accepted change: neither refused PUT sent one.
      expect(a).toEqual({ branding: res.body.data });
      expect(m).toEqual({ branding: res.body.data });
      expect(m.branding).toMatchObject({ app_name: 'Live Name', default_theme: 'high-contrast' });
      expect((await t.as().get('/api/v1/branding')).body.data).toEqual(m.branding);
    } finally {
      sa.disconnect();
      sm.disconnect();
    }
  });
});

describe('deployment defaults from the environment', () => {
  const corporate = theme('corporate', { name: 'Corporate', scheme: 'dark' }, { 'color.background': '#101820', 'color.text': '#fee715' });
  let envApp: TestApp;
  let envAdmin: Person;
  let env: Record<string, string>;

  beforeAll(async () => {
    const file = join(dir, 'themes.json');
    writeFileSync(file, JSON.stringify([corporate]));
    env = {
      FAMICHAT_APP_NAME: 'Acme Family',
      FAMICHAT_TAGLINE: 'Talk at home',
      FAMICHAT_LOGO_URL: 'https://acme.example/logo.png',
      FAMICHAT_DEFAULT_THEME: 'corporate',
      FAMICHAT_THEMES_FILE: file,
    };
    envApp = await startTestApp(env);
    ({ admin: envAdmin } = await setupInstance(envApp));
  });
  afterAll(() => envApp?.close());

  it('show in GET /branding, with the file’s themes served like built-ins', async () => {
    const res = await envApp.as().get('/api/v1/branding');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      app_name: 'Acme Family',
      tagline: 'Talk at home',
      logo_url: 'https://acme.example/logo.png',
      default_theme: 'corporate',
    });
    expect(res.body.data.themes.map((x: any) => x.id)).toEqual(expect.arrayContaining(['light', 'dark', 'high-contrast', 'corporate']));
    expect((await envApp.as().get('/api/v1/themes/corporate')).body.data).toEqual(corporate);
    const css = await envApp.as().get('/api/v1/themes/corporate.css');
    expect(css.status).toBe(200);
    expect(css.body).toContain('--color-text: #fee715;');
    const pref = await envApp.as(envAdmin.token).patch('/api/v1/me', { preferences: { theme: 'corporate' } });
    expect(pref.status).toBe(200);
    expect(pref.body.data.preferences.theme).toBe('corporate');
  });

  it('lose to what the admin saves, which wins again after a restart with the same environment', async () => {
    const res = await envApp.as(envAdmin.token).put('/api/v1/admin/branding', { default_theme: 'dark', app_name: 'Saved Name', tagline: null });
    expect(res.status).toBe(200);
    const expected = { app_name: 'Saved Name', tagline: null, logo_url: 'https://acme.example/logo.png', default_theme: 'dark' };
    expect((await envApp.as().get('/api/v1/branding')).body.data).toMatchObject(expected);
    const again = await secondApp(envApp, loadConfig({ LOG_LEVEL: 'silent', ...env }));
    try {
      const after = await again.get('/api/v1/branding');
      expect(after.body.data).toMatchObject(expected);
      expect(after.body.data.themes.map((x: any) => x.id)).toContain('corporate');
    } finally {
      await again.close();
    }
  });

  it('a saved default from a themes file that is later dropped gives way to the new FAMICHAT_DEFAULT_THEME', async () => {
    const res = await envApp.as(envAdmin.token).put('/api/v1/admin/branding', { default_theme: 'corporate' });
    expect(res.status).toBe(200);
    expect(res.body.data.default_theme).toBe('corporate');
    const again = await secondApp(envApp, loadConfig({ LOG_LEVEL: 'silent', FAMICHAT_DEFAULT_THEME: 'high-contrast' }));
    try {
      const after = await again.get('/api/v1/branding');
      expect(after.body.data.default_theme).toBe('high-contrast');
      expect(after.body.data.app_name).toBe('Saved Name');
      expect(after.body.data.themes.map((x: any) => x.id)).not.toContain('corporate');
      expect((await again.get('/api/v1/themes/corporate')).status).toBe(404);
    } finally {
      await again.close();
    }
  });
});

describe('loadConfig and the branding variables', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    return [];
  };
  const write = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('reads the defaults when nothing is set', () => {
    expect(loadConfig({}).branding).toEqual({ appName: 'Famichat', tagline: null, logoUrl: null, defaultTheme: 'light', themes: [] });
  });

  it('accepts a valid themes file and a default theme from it', () => {
    const file = write('ok.json', JSON.stringify([theme('brand')]));
    const config = loadConfig({ FAMICHAT_THEMES_FILE: file, FAMICHAT_DEFAULT_THEME: 'brand' });
    expect(config.branding.defaultTheme).toBe('brand');
    expect(config.branding.themes).toEqual([theme('brand')]);
  });

  it('an unreadable, non-JSON, non-array or invalid FAMICHAT_THEMES_FILE throws ConfigError naming it', () => {
    const cases = {
      missing: join(dir, 'does-not-exist.json'),
      notJson: write('bad.json', '{ not json'),
      notArray: write('object.json', JSON.stringify(theme('brand'))),
      badTheme: write('invalid.json', JSON.stringify([theme('brand', {}, { 'color.text': 'blurple', 'color.glow': '#fff' })])),
    };
    for (const [what, file] of Object.entries(cases)) {
      const problems = problemsOf({ FAMICHAT_THEMES_FILE: file });
      expect(problems.length, what).toBeGreaterThan(0);
      expect(problems.some((p) => p.includes('FAMICHAT_THEMES_FILE')), `${what}: ${problems.join(' | ')}`).toBe(true);
    }
    const problems = problemsOf({ FAMICHAT_THEMES_FILE: cases.badTheme });
    expect(problems.join('\n')).toContain('themes[0].tokens.color.text');
    expect(problems.join('\n')).toContain('themes[0].tokens.color.glow');
  });

  it('an unknown FAMICHAT_DEFAULT_THEME throws ConfigError naming it', () => {
    const problems = problemsOf({ FAMICHAT_DEFAULT_THEME: 'corporate' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('FAMICHAT_DEFAULT_THEME');
    expect(() => loadConfig({ FAMICHAT_DEFAULT_THEME: 'corporate' })).toThrow(/FAMICHAT_DEFAULT_THEME/);
    expect(loadConfig({ FAMICHAT_DEFAULT_THEME: 'high-contrast' }).branding.defaultTheme).toBe('high-contrast');
  });

  it('a FAMICHAT_APP_NAME over 64 characters throws ConfigError naming it', () => {
    expect(problemsOf({ FAMICHAT_APP_NAME: 'a'.repeat(65) }).join('\n')).toContain('FAMICHAT_APP_NAME');
  });

  it('a FAMICHAT_LOGO_URL that is not http(s) or a path throws ConfigError naming it', () => {
    expect(problemsOf({ FAMICHAT_LOGO_URL: 'javascript:alert(1)' }).join('\n')).toContain('FAMICHAT_LOGO_URL');
    expect(loadConfig({ FAMICHAT_LOGO_URL: '/logo.svg' }).branding.logoUrl).toBe('/logo.svg');
  });

  it('a theme id used twice in FAMICHAT_THEMES_FILE throws ConfigError naming it', () => {
    const file = write('twice.json', JSON.stringify([theme('brand'), theme('brand')]));
    expect(problemsOf({ FAMICHAT_THEMES_FILE: file }).join('\n')).toMatch(/FAMICHAT_THEMES_FILE.*"brand" is used twice/);
  });
});
