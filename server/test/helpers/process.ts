// Real child processes for tests (the compiled server as the container runs it, a throwaway redis-server):
// started with an environment, awaited until they say they are ready, their output captured, killed at the end.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The compiled server entry point (the global setup builds it). */
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** The line the server logs once it accepts connections. */
export const LISTENING = 'Famichat is listening';

/** One JSON log line of the server (pino). */
export interface LogLine {
  msg?: string;
  level?: number;
  pid?: number;
  req?: { url?: string };
  [key: string]: unknown;
}

/** How a process ended, and when. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** A running child process with its captured output. */
export interface Started {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its output lines that parse as JSON (the server's log), in order. */
  lines: LogLine[];
  /** Resolves with the first log line (already seen or to come) matching `test`; rejects if it exits first. */
  waitForLog(test: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once it has exited. */
  exited: Promise<Exit>;
  /** Resolves once it has exited and its output is drained. */
  closed: Promise<void>;
  /** Whether it is still running. */
  running(): boolean;
}

/** Options of {@link startProcess}. */
export interface StartOptions {
  /** The complete environment of the child. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A process group of its own (killed as a group), for a command that starts the server as a grandchild. */
  detached?: boolean;
  /** Resolve once the output contains this text; without it, at once. */
  ready?: string;
  /** Named so in errors. */
  name?: string;
  timeoutMs?: number;
  /** Added to the error when the command cannot be run at all (e.g. how to install it). */
  hint?: string;
}

const started = new Set<Started & { detached: boolean }>();

function signal(process_: Started & { detached: boolean }, sig: NodeJS.Signals): void {
  if (!process_.running()) return;
  if (process_.detached) process.kill(-process_.child.pid!, sig);
  else process_.child.kill(sig);
}

// Even if the test process itself goes down, no child is left running.
process.on('exit', () => {
  for (const s of started) signal(s, 'SIGKILL');
});

/** Starts `command` and resolves once its output contains `options.ready` (rejects if it exits or times out first). */
export async function startProcess(command: string, args: string[], options: StartOptions = {}): Promise<Started> {
  const name = options.name ?? command;
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let pending = '';
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  const onText = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const part of parts) {
      let line: LogLine;
      try {
        line = JSON.parse(part) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const waiter of [...waiters]) waiter(line);
    }
    for (const check of [...onText]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let spawnError: Error | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null, at: Date.now() });
    });
    child.once('exit', (code, sig) => resolve({ code, signal: sig, at: Date.now() }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null && !spawnError;
  const failure = (exit: Exit, what: string) =>
    spawnError
      ? new Error(`${name} could not be started (${spawnError.message})${options.hint ? `; ${options.hint}` : ''}`)
      : new Error(`${name} exited (${exit.code ?? exit.signal}) before ${what}:\n${output}`);
  const waitForLog = (test: (line: LogLine) => boolean, what: string, timeoutMs = 30_000) => {
    const seen = lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = (line: LogLine) => {
        if (!test(line)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => reject(new Error(`no log line "${what}" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      void exited.then((exit) => reject(failure(exit, `logging "${what}"`)));
      waiters.add(waiter);
    });
  };
  const process_ = { child, output: () => output, lines, waitForLog, exited, closed, running, detached: options.detached ?? false };
  started.add(process_);
  const ready = options.ready;
  if (ready !== undefined) {
    const timeoutMs = options.timeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!output.includes(ready)) return;
        onText.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(failure(exit, `"${ready}"`));
      });
      onText.add(check);
    });
  }
  return process_;
}

/**
 * Starts the compiled server (`node dist/main.js`) with `env` over this process's environment (or instead of
 * it, with `inherit: false`) and resolves once it logs that it is listening.
 */
export function startServer(env: Record<string, string>, options: { name?: string; inherit?: boolean } = {}): Promise<Started> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (npm run build)`);
  return startProcess(process.execPath, [MAIN], {
    env: options.inherit === false ? env : { ...process.env, ...env },
    ready: LISTENING,
    name: options.name ?? 'the server',
  });
}

/** Runs the compiled server with exactly `env` (plus PATH) until it exits; resolves with its exit code and output. */
export async function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const run = await startProcess(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env } });
  const { code } = await run.exited;
  await run.closed;
  return { code, output: run.output() };
}

/** Kills (SIGKILL) every process started here that still runs and waits until all have exited; call it in afterAll. */
export async function stopProcesses(): Promise<void> {
  const all = [...started];
  for (const s of all) signal(s, 'SIGKILL');
  await Promise.all(all.map((s) => s.exited));
  for (const s of all) started.delete(s);
}

/** A JSON request to a server process at `base` (`http://host:port`); resolves with the status and the parsed body. */
export async function callServer(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** First-run setup over HTTP on the server process at `base`, as Grandma: her id and token, and the family's id. */
export async function setupOver(base: string, familyName: string): Promise<{ admin: { id: string; token: string }; familyId: string }> {
  const setup = await callServer(base, 'POST', '/api/v1/setup', undefined, {
    username: 'grandma',
    password: 'correct horse',
    display_name: 'Grandma',
    family_name: familyName,
  });
  expect(setup.status).toBe(201);
  return { admin: { id: setup.body.data.user.id, token: setup.body.data.token }, familyId: setup.body.data.family.id as string };
}
