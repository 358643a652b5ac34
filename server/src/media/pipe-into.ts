/**
 * Pipes an upload's body into a store's writer without ever destroying the body: when the writer fails,
 * the body is only unpiped, so the route can still answer on the same connection (destroying an HTTP
 * request's stream destroys its socket, and the client would see a reset instead of the 503).
 * @module
 */
import type { Readable, Writable } from 'node:stream';

/** Resolves once `dest` has taken every byte of `body`; rejects with the body's or the writer's error. */
export function pipeInto(body: Readable, dest: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      body.off('error', onBodyError);
      body.off('close', onBodyClose);
      dest.off('error', onDestError);
      dest.off('finish', onFinish);
      dest.off('close', onDestClose);
    };
    const onBodyError = (error: Error) => {
      cleanup();
      body.unpipe(dest);
      dest.destroy(error);
      reject(error);
    };
    // Destroyed without an error (the client went away): the writer must not finish a short object.
    const onBodyClose = () => {
      if (body.readableEnded) return;
      onBodyError(Object.assign(new Error('The body ended before its end.'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    const onDestError = (error: Error) => {
      cleanup();
      body.unpipe(dest);
      reject(error);
    };
    // Destroyed by its owner (a store that gave up): stop feeding it.
    const onDestClose = () => {
      if (dest.writableFinished) return;
      onDestError(new Error('The store stopped reading the body.'));
    };
    const onFinish = () => {
      cleanup();
      resolve();
    };
    body.on('error', onBodyError);
    body.on('close', onBodyClose);
    dest.on('error', onDestError);
    dest.on('finish', onFinish);
    dest.on('close', onDestClose);
    if (body.errored) onBodyError(body.errored);
    else if (body.destroyed && !body.readableEnded) onBodyClose();
    else body.pipe(dest);
  });
}
