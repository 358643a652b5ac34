// Runs once before all test files: builds the server (tests that start real processes run dist/),
// and checks that PostgreSQL answers (or says the suite uses PGlite).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { adminUrl } from './db.js';

export default async function setup(): Promise<void> {
  const server = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: server, stdio: 'inherit' });
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
  } catch {
    if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${adminUrl()}; .ci/run starts it.`);
    process.env.FAMICHAT_TEST_PGLITE = '1';
    console.warn(`PostgreSQL is not reachable at ${adminUrl()}: tests run on embedded PGlite.`);
  }
}
