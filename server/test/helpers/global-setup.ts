// Runs once before all test files: checks that PostgreSQL answers (or says the suite uses PGlite).
import pg from 'pg';
import { adminUrl } from './db.js';

export default async function setup(): Promise<void> {
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
