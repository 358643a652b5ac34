// The full-screen viewer of photos and videos: the original, ← → keys and swipes to move among them, "2 of 5",
// Download and Close. A modal dialog: focus stays inside, Escape closes, and focus goes back to what opened it.
import type { KeyboardEvent, PointerEvent } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { Attachment } from './format';
import { claimPlayback } from './playback';

/** What the viewer shows: `items` (photos and videos) starting at `index`. */
export interface MediaViewerProps {
  items: readonly Attachment[];
  index: number;
  onClose: () => void;
}

// A horizontal drag longer than this (px) is a swipe to the next or previous item.
const SWIPE_PX = 50;

/** The viewer dialog. */
export function MediaViewer({ items, index: start, onClose }: MediaViewerProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const [index, setIndex] = useState(Math.min(Math.max(0, start), Math.max(0, items.length - 1)));
  const swipeFrom = useRef<{ x: number; y: number; id: number }>(undefined);
  const item = items[index];

  useEffect(() => {
    const element = dialog.current;
    // What opened the viewer (a tile) gets the focus back when it closes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    if (element && !element.open) element.showModal();
    close.current?.focus();
    return () => {
      element?.close();
      opener?.focus();
    };
  }, []);

  const go = (step: number) => setIndex((i) => Math.min(items.length - 1, Math.max(0, i + step)));
  const onKeyDown = (e: KeyboardEvent) => {
    // A focused video or range keeps its own arrow keys (seeking).
    if (e.target instanceof HTMLVideoElement || e.target instanceof HTMLInputElement) return;
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      go(1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      go(-1);
    }
  };
  const onPointerDown = (e: PointerEvent) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    swipeFrom.current = { x: e.clientX, y: e.clientY, id: e.pointerId };
  };
  const onPointerUp = (e: PointerEvent) => {
    const from = swipeFrom.current;
    swipeFrom.current = undefined;
    if (!from || from.id !== e.pointerId) return;
    const dx = e.clientX - from.x;
    if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(e.clientY - from.y)) go(dx < 0 ? 1 : -1);
  };

  if (!item) return null;
  const what = item.kind === 'video' ? 'video' : 'photo';
  // On the page's body, not inside the message log: opening it is not announced as a new message.
  return createPortal(
    <dialog ref={dialog} className="media-viewer" aria-labelledby={titleId} onClose={onClose} onKeyDown={onKeyDown}>
      <div className="viewer-bar">
        <h2 id={titleId} className="viewer-title">
          <span className="viewer-name" title={item.filename}>{item.filename || (what === 'video' ? 'Video' : 'Photo')}</span>
          {items.length > 1 ? <span className="viewer-counter" aria-live="polite">{index + 1} of {items.length}</span> : null}
        </h2>
        <a className="viewer-button" href={item.url} download={item.filename}>
          Download<span className="sr-only"> {item.filename}</span>
        </a>
        <button ref={close} type="button" className="viewer-button" onClick={onClose}>
          Close<span className="sr-only"> viewer</span>
        </button>
      </div>
      <div
        className="viewer-stage"
        onPointerDown={onPointerDown}
        onPointerUp={onPointerUp}
        onPointerCancel={() => (swipeFrom.current = undefined)}
      >
        {item.kind === 'video' ? (
          <video
            key={item.id}
            className="viewer-media"
            src={item.url}
            poster={item.thumbnail_url ?? undefined}
            controls
            preload="metadata"
            playsInline
            onPlay={(e) => claimPlayback(e.currentTarget)}
          />
        ) : (
          <img key={item.id} className="viewer-media" src={item.url} alt={item.filename || 'Photo'} width={item.width ?? undefined} height={item.height ?? undefined} decoding="async" draggable={false} />
        )}
      </div>
      {items.length > 1 ? (
        <div className="viewer-nav">
          <button type="button" className="viewer-button" onClick={() => go(-1)} disabled={index === 0} aria-label="Previous">
            <span aria-hidden="true">←</span>
          </button>
          <button type="button" className="viewer-button" onClick={() => go(1)} disabled={index === items.length - 1} aria-label="Next">
            <span aria-hidden="true">→</span>
          </button>
        </div>
      ) : null}
    </dialog>,
    document.body,
  );
}
