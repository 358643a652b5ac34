// A message's attachments inside its bubble: photos and videos as a grid whose boxes keep their shape before
// anything loads (so the list never jumps), voice messages as players, other files as chips.
import type { CSSProperties } from 'react';
import { useCallback, useState } from 'react';
import { AudioPlayer } from './AudioPlayer';
import { FileChip } from './FileChip';
import type { Attachment } from './format';
import { clockTime, gridLayout, isVisual, tileRatio } from './format';
import { MediaViewer } from './MediaViewer';
import { claimPlayback } from './playback';

/** Everything a message carries, grid first, then players, then file chips. */
export function MessageAttachments({ attachments }: { attachments: readonly Attachment[] }) {
  const visual = attachments.filter(isVisual);
  const audio = attachments.filter((a) => a.kind === 'audio');
  const files = attachments.filter((a) => a.kind === 'file');
  return (
    <div className="attachments">
      {visual.length > 0 ? <AttachmentGrid items={visual} /> : null}
      {audio.map((a) => <AudioPlayer key={a.id} attachment={a} />)}
      {files.map((a) => <FileChip key={a.id} attachment={a} />)}
    </div>
  );
}

/** The grid of photos and videos: 1 alone in its own shape, 2 side by side, 3–4 as a 2×2, more with "+N". */
export function AttachmentGrid({ items }: { items: readonly Attachment[] }) {
  const [open, setOpen] = useState<number>();
  // A video opened in the bubble plays there, with the browser's controls.
  const [playing, setPlaying] = useState<string>();
  // The tile that was pressed is gone: focus moves to the player that replaced it.
  const focusPlayer = useCallback((element: HTMLVideoElement | null) => element?.focus(), []);
  const layout = gridLayout(items.length);
  const single = items.length === 1 ? items[0] : undefined;
  const style: CSSProperties | undefined = single ? { aspectRatio: String(tileRatio(single.width, single.height)) } : undefined;

  return (
    <div className={`attachment-grid grid-${layout.columns} count-${Math.min(items.length, 6)}`} style={style} data-count={items.length}>
      {items.slice(0, layout.shown).map((item, i) => {
        const more = i === layout.shown - 1 ? layout.more : 0;
        if (item.kind === 'video' && playing === item.id) {
          return (
            <video
              key={item.id}
              ref={focusPlayer}
              className="tile tile-video-playing"
              src={item.url}
              poster={item.thumbnail_url ?? undefined}
              controls
              autoPlay
              preload="metadata"
              playsInline
              onPlay={(e) => claimPlayback(e.currentTarget)}
              aria-label={`Video ${item.filename}`}
            />
          );
        }
        return (
          <Tile
            key={item.id}
            item={item}
            more={more}
            onOpen={() => (item.kind === 'video' && more === 0 ? setPlaying(item.id) : setOpen(i))}
          />
        );
      })}
      {open !== undefined ? <MediaViewer items={items} index={open} onClose={() => setOpen(undefined)} /> : null}
    </div>
  );
}

/** One tile: the thumbnail (lazy), a play badge and duration for a video, "+N" when more are left out. */
export function Tile({ item, more = 0, onOpen }: { item: Attachment; more?: number; onOpen: () => void }) {
  const video = item.kind === 'video';
  const src = item.thumbnail_url ?? (video ? undefined : item.url);
  const alt = item.filename || (video ? 'Video' : 'Photo');
  return (
    <button type="button" className={`tile${video ? ' tile-video' : ''}`} onClick={onOpen} data-attachment={item.id} data-kind={item.kind}>
      {src ? (
        <img src={src} alt={alt} loading="lazy" decoding="async" width={item.width ?? undefined} height={item.height ?? undefined} draggable={false} />
      ) : (
        <span className="tile-placeholder">{alt}</span>
      )}
      {video ? (
        <span className="play-badge">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M8 5v14l11-7z" /></svg>
          <span className="sr-only">Play video</span>
          {item.duration_ms ? <span className="video-duration">{clockTime(item.duration_ms)}</span> : null}
        </span>
      ) : null}
      {more > 0 ? (
        <span className="more-tiles">
          <span aria-hidden="true">+{more}</span>
          <span className="sr-only">, and {more} more</span>
        </span>
      ) : null}
    </button>
  );
}
