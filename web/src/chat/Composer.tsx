// The message box: Enter sends (Shift+Enter for a new line), sends go through the outbox, typing is announced.
// Files come from the attach button, a paste or a drop on the chat (`attachRef`), wait in a tray with an optional
// caption, and go with the text as one message (more than 10: several). With the box empty, the microphone
// records a voice message instead.
import type { ClipboardEvent, KeyboardEvent, MutableRefObject } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorText } from '../components/ui';
import { store } from '../state/app';
import type { PickedFile } from './attach/AttachTray';
import { AttachTray } from './attach/AttachTray';
import { batches, formatBytes, isPreviewable } from './attach/format';
import { PaperclipIcon } from './attach/icons';
import type { Recording } from './attach/VoiceRecorder';
import { MicrophoneButton, RecordingBar, useVoiceRecorder } from './attach/VoiceRecorder';

const MAX_BYTES = 8192;
const TYPING_SENT_EVERY_MS = 2500;

let pickedIds = 0;

/**
 * The composer of `conversationId`; `onTyping` is called at most every 2.5 s while the text changes.
 * `attachRef` is set to a function that adds files to the tray (the chat's drop zone calls it).
 */
export function Composer({ conversationId, onTyping, attachRef }: { conversationId: string; onTyping: () => void; attachRef?: MutableRefObject<((files: File[]) => void) | undefined> }) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [error, setError] = useState<string>();
  const lastTyping = useRef(0);
  const ref = useRef<HTMLTextAreaElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const filesRef = useRef(files);
  useEffect(() => {
    filesRef.current = files;
  }, [files]);

  const onRecorded = useCallback(
    (recording: Recording) => {
      store.outbox?.enqueue(conversationId, '', [{ blob: recording.blob, name: recording.name, durationMs: recording.durationMs }]);
    },
    [conversationId],
  );
  const recorder = useVoiceRecorder(onRecorded);

  const addFiles = useCallback((picked: File[]) => {
    if (picked.length === 0) return;
    // Over the server's limit (known once it refused a file): said now, not after an upload.
    const limit = store.outbox?.uploadLimitBytes;
    const tooBig = limit === undefined ? [] : picked.filter((f) => f.size > limit);
    const added = picked.filter((f) => !tooBig.includes(f));
    setError(
      tooBig.length > 0 && limit !== undefined
        ? tooBig.map((f) => `${f.name} is ${formatBytes(f.size)}; the limit is ${formatBytes(limit)}.`).join(' ')
        : undefined,
    );
    setFiles((before) => [
      ...before,
      ...added.map((file) => ({ id: `f${++pickedIds}`, file, ...(isPreviewable(file.type) ? { previewUrl: URL.createObjectURL(file) } : {}) })),
    ]);
    ref.current?.focus();
  }, []);
  useEffect(() => {
    if (!attachRef) return;
    attachRef.current = addFiles;
    return () => {
      attachRef.current = undefined;
    };
  }, [attachRef, addFiles]);
  // Previews are freed with the composer.
  useEffect(() => () => filesRef.current.forEach((f) => f.previewUrl && URL.revokeObjectURL(f.previewUrl)), []);

  const removeFile = (id: string) => {
    setFiles((before) => {
      const gone = before.find((f) => f.id === id);
      if (gone?.previewUrl) URL.revokeObjectURL(gone.previewUrl);
      return before.filter((f) => f.id !== id);
    });
    ref.current?.focus();
  };

  const send = () => {
    const body = text.trim();
    if (!body && files.length === 0) return;
    if (new TextEncoder().encode(body).length > MAX_BYTES) {
      setError('That message is too long (at most 8192 bytes).');
      return;
    }
    setError(undefined);
    const outbox = store.outbox;
    if (files.length === 0) outbox?.enqueue(conversationId, body);
    // The caption goes with the first message of files; each message carries at most 10.
    else batches(files).forEach((batch, i) => outbox?.enqueue(conversationId, i === 0 ? body : '', batch.map((f) => ({ blob: f.file, name: f.file.name }))));
    files.forEach((f) => f.previewUrl && URL.revokeObjectURL(f.previewUrl));
    setFiles([]);
    setText('');
    ref.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const onChange = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_SENT_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  };
  // Pasted files (a screenshot, a copied photo) join the tray; pasted text stays text (an app may copy both).
  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = [...e.clipboardData.files];
    if (pasted.length === 0) return;
    if (!e.clipboardData.types.includes('text/plain')) e.preventDefault();
    addFiles(pasted);
  };
  const recording = recorder.phase !== 'idle';
  const canSend = text.trim() !== '' || files.length > 0;
  return (
    <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <ErrorText message={error ?? recorder.error} />
      <AttachTray files={files} onRemove={removeFile} />
      <input
        ref={input}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        onChange={(e) => {
          addFiles([...(e.target.files ?? [])]);
          e.target.value = ''; // the same file can be picked again
        }}
      />
      {recording ? (
        <RecordingBar recorder={recorder} />
      ) : (
        <>
          <button type="button" className="icon-only attach-button" aria-label="Attach files" title="Attach files" onClick={() => input.current?.click()}>
            <PaperclipIcon />
          </button>
          <label htmlFor="composer-input" className="sr-only">Message</label>
          <textarea
            id="composer-input"
            ref={ref}
            value={text}
            onChange={(e) => onChange(e.target.value)}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
            placeholder={files.length > 0 ? 'Add a caption' : 'Message'}
            rows={1}
            autoFocus={window.matchMedia?.('(min-width: 701px)').matches}
          />
          {canSend ? <button className="primary" type="submit">Send</button> : <MicrophoneButton recorder={recorder} />}
        </>
      )}
    </form>
  );
}
