// A fresh database per test file: a new PostgreSQL database (dropped afterwards), or in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/connect.js';
import { openDatabase } from '../../src/db/connect.js';

/** The server used to create test databases. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A new, migrated, empty database and the function that removes it. */
export interface TestDatabase {
  database: Database;
  url: string | undefined;
  drop(): Promise<void>;
}

/** Creates a database of its own for the calling test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.FAMICHAT_TEST_PGLITE === '1') {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `famichat_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 20 });
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close().catch(() => undefined);
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
