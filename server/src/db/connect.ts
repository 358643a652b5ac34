/**
 * Opens the database: PostgreSQL when a URL is given, otherwise embedded PGlite in a data directory.
 * Both get the same schema and migrations; the rest of the server sees one {@link Database}.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema.js';

/** A Drizzle database (or transaction) over either driver. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Anything that can run a statement: the database or a transaction. */
export type Executor = Pick<Db, 'execute'>;

/** An open database with its lifecycle. */
export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the pool or the embedded database. */
  close(): Promise<void>;
}

/** Where the committed SQL migrations live (the same path from `src/` and from `dist/`). */
export const migrationsFolder = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

/** The parts of a Drizzle database or transaction that run a named statement. */
interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: {
    prepareQuery(query: { sql: string; params: unknown[] }, fields: undefined, name: string, arrayMode: boolean): { execute(): Promise<unknown> };
  };
}

/**
 * Runs a statement and returns its rows, typed by the caller.
 * @param prepareAs names a hot statement: PostgreSQL then parses and plans it once per connection instead of
 * on every call (a third of the cost of a send). The name must always go with the same SQL text.
 */
export async function rows<T>(ex: Executor, query: SQL, prepareAs?: string): Promise<T[]> {
  let result: unknown;
  if (prepareAs === undefined) result = await ex.execute(query);
  else {
    const { dialect, session } = ex as unknown as DrizzleInternals;
    result = await session.prepareQuery(dialect.sqlToQuery(query), undefined, prepareAs, false).execute();
  }
  return (result as { rows: T[] }).rows;
}

/** Runs a statement and returns its first row, if any (`prepareAs`: see {@link rows}). */
export async function firstRow<T>(ex: Executor, query: SQL, prepareAs?: string): Promise<T | undefined> {
  return (await rows<T>(ex, query, prepareAs))[0];
}

/** Options for {@link openDatabase}. */
export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` for an in-memory database. */
  dataDir?: string;
  poolSize?: number;
  /** Apply migrations before returning (default true). */
  migrate?: boolean;
}

// An arbitrary constant: the advisory lock that serialises migrations between nodes starting together.
const MIGRATION_LOCK = 727_274_551;

/**
 * Opens the database and applies pending migrations.
 * @throws when PostgreSQL cannot be reached or a migration fails.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options.dataDir ?? './data', options.migrate ?? true);
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  if (options.migrate ?? true) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migratePg(drizzlePg(client), { migrationsFolder });
    } finally {
      await client.end();
    }
  }
  // Bounded waits: while PostgreSQL is unreachable a request fails with 503 within seconds instead of
  // hanging (a refused or reset connection fails at once; a silent network at the connect or query timeout).
  // The pool replaces broken clients by itself, so service resumes without a restart once it is back.
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 3000,
    query_timeout: 15_000,
    keepAlive: true,
    // The named statements (see rows()) are all index lookups: plan them once per connection. Left to
    // choose, PostgreSQL re-plans the batched send on every call (its generic plan looks dearer for a
    // 1-row array), which costs more than executing it. (Behind PgBouncer: ignore_startup_parameters = options.)
    options: '-c plan_cache_mode=force_generic_plan',
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  return databaseOf(drizzlePg(pool, { schema }), 'postgres', () => pool.end());
}

/** A {@link Database} over `db`, whichever engine runs it: its ping is the same `SELECT 1`. */
function databaseOf(db: Db, kind: Database['kind'], close: () => Promise<void>): Database {
  return {
    db,
    kind,
    ping: async () => {
      await db.execute(sql`SELECT 1`);
    },
    close,
  };
}

async function openPglite(dataDir: string, runMigrations: boolean): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  // PostgreSQL's default 128 MB buffer pool would be resident from the start, most of the embedded
  // database's memory; a family's working set fits in 32 MB, and the OS caches the data files besides.
  const client = await PGlite.create(dataDir, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'] });
  const pgliteDb = drizzlePglite(client, { schema });
  if (runMigrations) await migratePglite(pgliteDb, { migrationsFolder });
  return databaseOf(pgliteDb, 'pglite', () => client.close());
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
]);

/** Whether an error means the database could not be reached (as opposed to a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether an error is a unique-constraint violation, optionally on a named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const { code, constraint: name } = e as { code?: unknown; constraint?: unknown };
    if (code === '23505' && (constraint === undefined || name === constraint)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
