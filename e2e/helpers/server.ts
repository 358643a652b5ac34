// Starts the real production server (`node server/dist/main.js`) on a fresh PostgreSQL database of its own,
// on a free port, serving the web client's build (web/dist). Used by the e2e tests and the SDK's tests.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the server logged (for failure messages). */
  output(): string;
  /** Stops the process (SIGTERM: sockets are closed with 1001) and keeps the database. */
  kill(): Promise<void>;
  /** Starts the process again on the same port and database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the server; `env` adds or overrides environment variables. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const main = `${ROOT}server/dist/main.js`;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const name = `famichat_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const dbUrl = new URL(adminUrl());
  dbUrl.pathname = `/${name}`;
  const port = await freePort();
  let log = '';
  const url = `http://127.0.0.1:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: dbUrl.toString(),
        LOG_LEVEL: 'warn',
        FAMICHAT_SEND_BURST: '1000',
        FAMICHAT_SEND_PER_MINUTE: '100000',
        FAMICHAT_LOGIN_LIMIT_PER_IP: '100000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${log}`);
      try {
        const res = await fetch(`${url}/readyz`);
        if (res.ok) return child;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`the server did not become ready:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  let child = await launch();
  const kill = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url,
    port,
    get process() {
      return child;
    },
    output: () => log,
    kill,
    restart: async () => {
      await kill();
      child = await launch();
    },
    stop: async () => {
      await kill();
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
