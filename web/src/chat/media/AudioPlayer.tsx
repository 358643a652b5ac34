// A voice message (or any audio attachment): play/pause, a scrubber, and elapsed / total time. Nothing plays by
// itself, and starting one pauses any other that is playing.
import type { CSSProperties } from 'react';
import { useRef, useState } from 'react';
import type { Attachment } from './format';
import { clockTime } from './format';
import { claimPlayback } from './playback';

/** The compact player of an audio attachment; `label` names it ("Voice message"). */
export function AudioPlayer({ attachment, label = 'Voice message' }: { attachment: Attachment; label?: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [elapsedMs, setElapsedMs] = useState(0);
  // The server's (or the recorder's) duration first: a recorded WebM often reports an infinite one itself.
  const [mediaMs, setMediaMs] = useState<number>();
  const totalMs = attachment.duration_ms ?? mediaMs ?? 0;

  const toggle = () => {
    const element = audio.current;
    if (!element) return;
    if (element.paused) void element.play().catch(() => setPlaying(false));
    else element.pause();
  };
  const seek = (ms: number) => {
    const element = audio.current;
    if (!element) return;
    element.currentTime = ms / 1000;
    setElapsedMs(ms);
  };
  const total = clockTime(totalMs);
  const elapsed = clockTime(elapsedMs);

  return (
    <div className={`audio-player${playing ? ' playing' : ''}`} data-attachment={attachment.id}>
      <audio
        ref={audio}
        src={attachment.url}
        preload="metadata"
        onPlay={(e) => {
          claimPlayback(e.currentTarget);
          setPlaying(true);
        }}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          setElapsedMs(0);
        }}
        onTimeUpdate={(e) => setElapsedMs(e.currentTarget.currentTime * 1000)}
        onLoadedMetadata={(e) => {
          const seconds = e.currentTarget.duration;
          if (Number.isFinite(seconds)) setMediaMs(seconds * 1000);
        }}
      />
      <button type="button" className="play-button" aria-label={`${playing ? 'Pause' : 'Play'} ${label.toLowerCase()}, ${total}`} onClick={toggle}>
        <PlayPauseIcon playing={playing} />
      </button>
      <input
        type="range"
        className="scrubber"
        min={0}
        max={Math.max(1, Math.round(totalMs))}
        step={100}
        value={Math.min(Math.round(elapsedMs), Math.max(1, Math.round(totalMs)))}
        aria-label={`Position in ${label.toLowerCase()}`}
        aria-valuetext={`${elapsed} of ${total}`}
        onChange={(e) => seek(Number(e.target.value))}
        style={{ '--progress': `${totalMs > 0 ? Math.min(100, (elapsedMs / totalMs) * 100) : 0}%` } as CSSProperties}
      />
      <span className="audio-time">
        <span className="sr-only">Played </span>
        {elapsed} / {total}
      </span>
    </div>
  );
}

/** A play triangle or pause bars. */
export function PlayPauseIcon({ playing }: { playing: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      {playing ? <path fill="currentColor" d="M7 5h4v14H7zM13 5h4v14h-4z" /> : <path fill="currentColor" d="M8 5v14l11-7z" />}
    </svg>
  );
}
