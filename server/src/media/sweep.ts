/**
 * The media sweep: uploads no message carries and nobody has as a profile picture are deleted 24 h after
 * they were made (the row first, then its objects), and what crashed uploads left behind (the storage's
 * partial objects, this node's temporary files) is reclaimed after an hour. Runs at start and every hour.
 * @module
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { uploadTempDir } from './uploads.js';

/** How often the sweep runs. */
export const SWEEP_INTERVAL_MS = 3_600_000;
/** How long an upload no message carries is kept. */
export const UNATTACHED_TTL_MS = 24 * 3_600_000;
/** How old a crashed write's leftovers must be before they are reclaimed (an upload may still be running before). */
export const LEFTOVER_TTL_MS = 3_600_000;
/** An S3 multipart upload's age counts from its start, not its last part: a slow upload may run for hours. */
export const S3_LEFTOVER_TTL_MS = 24 * 3_600_000;


/** What one sweep removed. */
export interface SweepResult {
  /** Unattached uploads deleted. */
  uploads: number;
  /** Crash leftovers reclaimed (partial objects and temporary files). */
  leftovers: number;
}

/** Removes the temporary files older than `olderThanMs` from the upload pipeline's directory. */
async function reclaimTempFiles(dir: string, olderThanMs: number, now: number): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs >= olderThanMs) {
      await rm(path, { force: true, recursive: true });
      removed += 1;
    }
  }
  return removed;
}

/** Runs one sweep (tests call it directly), deleting `batch` uploads per statement. */
export async function sweepMedia(deps: Deps, now = Date.now(), batch = 500): Promise<SweepResult> {
  const cutoff = new Date(now - UNATTACHED_TTL_MS);
  let uploads = 0;
  for (;;) {
    const gone = await rows<{ storage_key: string; thumbnail_key: string | null }>(
      deps.db,
      sql`DELETE FROM uploads WHERE id IN (
            SELECT up.id FROM uploads up
            WHERE up.message_id IS NULL AND up.created_at < ${cutoff}
              AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = up.uploader_id AND u.avatar_upload_id = up.id)
            LIMIT ${batch})
          RETURNING storage_key, thumbnail_key`,
    );
    for (const upload of gone) {
      await deps.storage.delete(upload.storage_key);
      if (upload.thumbnail_key !== null) await deps.storage.delete(upload.thumbnail_key);
    }
    uploads += gone.length;
    if (gone.length < batch) break;
  }
  const leftovers =
    (await deps.storage.reclaim(deps.storage.kind === 's3' ? S3_LEFTOVER_TTL_MS : LEFTOVER_TTL_MS)) + (await reclaimTempFiles(uploadTempDir(deps.config.media), LEFTOVER_TTL_MS, now));
  return { uploads, leftovers };
}

/** The innermost cause of a failure: a driver's own message, never the outer one that quotes the SQL and its parameters. */
function innermost(error: unknown): { type: string; message: string } {
  let inner = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? { type: inner.name, message: inner.message } : { type: typeof inner, message: String(inner) };
}

/**
 * Sweeps now and then every {@link SWEEP_INTERVAL_MS} (the timer does not keep the process alive); a failed
 * sweep is logged and retried at the next tick. Returns the function that stops it, resolving once a
 * running sweep has finished.
 */
export function startSweeping(deps: Deps, log: FastifyBaseLogger): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = sweepMedia(deps).then(
      (result) => {
        if (result.uploads > 0 || result.leftovers > 0) log.info(result, 'media swept');
      },
      (error: unknown) => log.warn({ err: innermost(error) }, 'media sweep failed'),
    );
  };
  tick();
  const timer = setInterval(tick, SWEEP_INTERVAL_MS).unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
