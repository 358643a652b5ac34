// Voice messages: the microphone button (hold to record and release to send, or tap to start and tap Send),
// and while recording a running m:ss timer, Cancel (or slide left while holding) and Send. MediaRecorder with
// Opus/WebM where supported, AAC/MP4 on Safari; the length is measured here and sent as duration_ms.
import type { PointerEvent as ReactPointerEvent } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { MicrophoneIcon } from './icons';
import { formatDuration, microphoneError, recordingType, voiceFilename } from './format';

/** A finished recording. */
export interface Recording {
  /** The audio. */
  blob: Blob;
  /** Its file name ("Voice message 2026-12-01 14-05.webm"). */
  name: string;
  /** Its length, measured while recording. */
  durationMs: number;
}

/** Held at least this long before release, a press was "hold to record": the release sends. */
const HOLD_MS = 400;
/** Sliding this far left while holding cancels. */
const SLIDE_CANCEL_PX = 80;

type Phase = 'idle' | 'starting' | 'recording';

/** The recorder's state and controls. */
export interface VoiceRecorder {
  /** Nothing, asking for the microphone, or recording. */
  phase: Phase;
  /** Milliseconds recorded so far. */
  elapsedMs: number;
  /** Why recording could not start. */
  error: string | undefined;
  /** Whether the current recording is held (released: sent). */
  holding: boolean;
  /** Starts recording (tap mode). */
  start: () => void;
  /** Ends the recording: sent, or thrown away. */
  finish: (send: boolean) => void;
  /** Pointer handlers of the microphone button (hold to record). */
  press: (e: ReactPointerEvent<HTMLButtonElement>) => void;
}

/** Records voice messages; `onRecorded` gets each one sent. */
export function useVoiceRecorder(onRecorded: (recording: Recording) => void): VoiceRecorder {
  const [phase, setPhase] = useState<Phase>('idle');
  const [elapsedMs, setElapsed] = useState(0);
  const [error, setError] = useState<string>();
  const [holding, setHolding] = useState(false);
  const live = useRef<{ recorder?: MediaRecorder; stream?: MediaStream; startedAt?: number; at?: Date; pending?: number }>({});
  // Each start is numbered: a microphone granted after its recording was cancelled (or replaced) is let go.
  const starts = useRef(0);
  const recorded = useRef(onRecorded);
  useEffect(() => {
    recorded.current = onRecorded;
  }, [onRecorded]);

  const stopTracks = (stream: MediaStream | undefined) => stream?.getTracks().forEach((t) => t.stop());

  const finish = useCallback((send: boolean) => {
    const current = live.current;
    live.current = {};
    setHolding(false);
    setPhase('idle');
    setElapsed(0);
    // Still asking for the microphone: whatever comes is dropped (live.current no longer names that start).
    if (!current.recorder) return;
    const { recorder, stream, startedAt = performance.now(), at = new Date() } = current;
    const durationMs = Math.round(performance.now() - startedAt);
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    };
    recorder.onstop = () => {
      stopTracks(stream);
      if (!send) return;
      const type = recorder.mimeType || 'audio/webm';
      const blob = new Blob(chunks, { type });
      if (blob.size > 0) recorded.current({ blob, name: voiceFilename(at, type), durationMs });
    };
    if (recorder.state !== 'inactive') recorder.stop();
    else stopTracks(stream);
  }, []);

  const start = useCallback(() => {
    if (live.current.pending || live.current.recorder) return;
    setError(undefined);
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
      setError(microphoneError('Unsupported'));
      return;
    }
    const attempt = ++starts.current;
    live.current = { pending: attempt };
    setPhase('starting');
    navigator.mediaDevices
      .getUserMedia({ audio: true })
      .then((stream) => {
        if (live.current.pending !== attempt) {
          stopTracks(stream);
          return;
        }
        const type = recordingType((t) => MediaRecorder.isTypeSupported(t));
        const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        // The chunks are collected by the handler finish() installs; data before that is kept by the recorder.
        recorder.start();
        live.current = { recorder, stream, startedAt: performance.now(), at: new Date() };
        setPhase('recording');
      })
      .catch((e: unknown) => {
        if (live.current.pending !== attempt) return;
        live.current = {};
        setPhase('idle');
        setHolding(false);
        setError(microphoneError(e instanceof Error ? e.name : undefined));
      });
  }, []);

  // The running timer.
  useEffect(() => {
    if (phase !== 'recording') return;
    const tick = () => setElapsed(performance.now() - (live.current.startedAt ?? performance.now()));
    tick();
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
  }, [phase]);

  // Leaving the chat mid-recording throws the recording away and frees the microphone.
  useEffect(() => () => finish(false), [finish]);

  const press = useCallback(
    (down: ReactPointerEvent<HTMLButtonElement>) => {
      if (down.button !== 0) return;
      const x = down.clientX;
      start();
      setHolding(true);
      const onMove = (e: PointerEvent) => {
        if (x - e.clientX > SLIDE_CANCEL_PX) {
          done();
          finish(false);
        }
      };
      const onUp = () => {
        done();
        const { startedAt } = live.current;
        // A short press was a tap: the recording goes on until Send. A hold sends on release.
        if (startedAt !== undefined && performance.now() - startedAt >= HOLD_MS) finish(true);
        else setHolding(false);
      };
      const done = () => {
        window.removeEventListener('pointermove', onMove);
        window.removeEventListener('pointerup', onUp);
        window.removeEventListener('pointercancel', onUp);
      };
      window.addEventListener('pointermove', onMove);
      window.addEventListener('pointerup', onUp);
      window.addEventListener('pointercancel', onUp);
    },
    [start, finish],
  );

  return { phase, elapsedMs, error, holding, start, finish, press };
}

/** The microphone button: hold to record, or tap (or Enter/Space) to start. */
export function MicrophoneButton({ recorder }: { recorder: VoiceRecorder }) {
  return (
    <button
      type="button"
      className="icon-only mic-button"
      aria-label="Record voice message"
      title="Record voice message (hold, or tap to start)"
      onPointerDown={recorder.press}
      // A click from the keyboard has no pointer press before it (detail 0): it starts a tap-mode recording.
      onClick={(e) => {
        if (e.detail === 0) recorder.start();
      }}
      onContextMenu={(e) => e.preventDefault()}
    >
      <MicrophoneIcon />
    </button>
  );
}

/** The bar that replaces the text box while recording: timer, Cancel and Send. */
export function RecordingBar({ recorder }: { recorder: VoiceRecorder }) {
  const starting = recorder.phase === 'starting';
  return (
    <div className="recording-bar" role="group" aria-label="Recording a voice message">
      <span className="recording-dot" aria-hidden="true" />
      <span className="recording-timer" role="timer">
        {starting ? 'Starting…' : formatDuration(recorder.elapsedMs)}
      </span>
      <span className="recording-hint">{recorder.holding ? 'Release to send, slide left to cancel' : 'Recording…'}</span>
      <button type="button" onClick={() => recorder.finish(false)}>
        Cancel
      </button>
      <button type="button" className="primary" onClick={() => recorder.finish(true)} disabled={starting}>
        Send voice message
      </button>
    </div>
  );
}
