// One voice message or video plays at a time: starting one pauses whichever was playing.
let current: HTMLMediaElement | undefined;

/** Call from a media element's `play` event: pauses the one that was playing before. */
export function claimPlayback(element: HTMLMediaElement): void {
  if (current && current !== element && !current.paused) current.pause();
  current = element;
}
