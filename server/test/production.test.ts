// Production mode (NODE_ENV=production): required settings, all problems reported at once, and the real
// process (`node server/dist/main.js`, as the container runs it) refusing to start without them.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { runServer } from './helpers/process.js';

const scratch = mkdtempSync(join(tmpdir(), 'famichat-production-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://famichat:s3cret@db:5432/famichat',
  FAMICHAT_PUBLIC_URL: 'https://chat.example.com',
};

/** The problems loadConfig reports for `env` (fails the test when it accepts it). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('production configuration', () => {
  it('accepts a complete production environment; Redis stays optional (one node)', () => {
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({
      nodeEnv: 'production',
      databaseUrl: PRODUCTION.DATABASE_URL,
      publicUrl: 'https://chat.example.com',
      redisUrl: undefined,
      trustProxy: false,
    });
  });

  it('lists every missing required setting at once, each by name', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DATABASE_URL is required in production/);
    expect(problems[1]).toMatch(/^FAMICHAT_PUBLIC_URL is required in production/);
  });

  it('treats an empty value as missing', () => {
    const problems = problemsOf({ ...PRODUCTION, DATABASE_URL: '', FAMICHAT_PUBLIC_URL: '' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['DATABASE_URL', 'FAMICHAT_PUBLIC_URL']);
  });

  it('reports missing, invalid and out-of-range settings together', () => {
    const problems = problemsOf({ NODE_ENV: 'production', FAMICHAT_PUBLIC_URL: 'chat.example.com', PORT: 'http', TRUST_PROXY: 'sometimes' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['DATABASE_URL', 'FAMICHAT_PUBLIC_URL', 'PORT', 'TRUST_PROXY']);
    expect(problems.find((p) => p.startsWith('FAMICHAT_PUBLIC_URL'))).toContain('"chat.example.com"');
  });

  it('refuses a PostgreSQL URL of the wrong kind in production as well', () => {
    expect(problemsOf({ ...PRODUCTION, DATABASE_URL: 'mysql://db/famichat' })).toEqual([expect.stringMatching(/^DATABASE_URL must be a postgres/)]);
  });

  it.each([
    ['ftp://chat.example.com'],
    ['chat.example.com'],
    ['https://chat.example.com/famichat'],
    ['https://chat.example.com/?lang=en'],
    ['https://chat.example.com/#home'],
    ['https://admin:pw@chat.example.com'],
  ])('refuses FAMICHAT_PUBLIC_URL=%s (not a bare http(s) origin)', (value) => {
    for (const nodeEnv of ['production', 'development']) {
      const problems = problemsOf({ ...PRODUCTION, NODE_ENV: nodeEnv, FAMICHAT_PUBLIC_URL: value });
      expect(problems).toEqual([expect.stringMatching(/^FAMICHAT_PUBLIC_URL must be the public http:\/\/ or https:\/\/ origin/)]);
    }
  });

  it.each([
    ['https://chat.example.com/', 'https://chat.example.com'],
    ['https://Chat.Example.COM:8443', 'https://chat.example.com:8443'],
    ['https://chat.example.com:443', 'https://chat.example.com'],
    ['http://localhost:4000', 'http://localhost:4000'],
  ])('stores FAMICHAT_PUBLIC_URL=%s as the origin %s', (value, origin) => {
    expect(loadConfig({ ...PRODUCTION, FAMICHAT_PUBLIC_URL: value }).publicUrl).toBe(origin);
  });

  it('requires nothing outside production', () => {
    expect(loadConfig({})).toMatchObject({ nodeEnv: 'development', databaseUrl: undefined, publicUrl: undefined });
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ nodeEnv: 'test', publicUrl: undefined });
  });
});

describe('the server process in production mode', () => {
  it('exits with 2 naming the missing DATABASE_URL, before touching any database', async () => {
    const dataDir = join(scratch, 'never-created');
    const { code, output } = await runServer({ NODE_ENV: 'production', FAMICHAT_PUBLIC_URL: 'https://chat.example.com', FAMICHAT_DATA_DIR: dataDir, PORT: '0' });
    expect(code).toBe(2);
    expect(output).toContain('DATABASE_URL is required in production');
    expect(output).not.toContain('FAMICHAT_PUBLIC_URL');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('lists every problem in one go: missing settings and invalid values', async () => {
    const { code, output } = await runServer({ NODE_ENV: 'production', PORT: 'eighty', REDIS_URL: 'localhost:6379' });
    expect(code).toBe(2);
    expect(output).toMatch(/^Invalid configuration:/);
    for (const name of ['DATABASE_URL', 'FAMICHAT_PUBLIC_URL', 'PORT', 'REDIS_URL']) expect(output).toMatch(new RegExp(`^  - ${name} `, 'm'));
  });
});
