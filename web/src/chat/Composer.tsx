// The message box: Enter sends (Shift+Enter for a new line), sends go through the outbox, typing is announced.
import type { KeyboardEvent } from 'react';
import { useRef, useState } from 'react';
import { ErrorText } from '../components/ui';
import { store } from '../state/app';

const MAX_BYTES = 8192;
const TYPING_SENT_EVERY_MS = 2500;

/** The composer of `conversationId`; `onTyping` is called at most every 2.5 s while the text changes. */
export function Composer({ conversationId, onTyping }: { conversationId: string; onTyping: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const lastTyping = useRef(0);
  const ref = useRef<HTMLTextAreaElement>(null);

  const send = () => {
    const body = text.trim();
    if (!body) return;
    if (new TextEncoder().encode(body).length > MAX_BYTES) {
      setError('That message is too long (at most 8192 bytes).');
      return;
    }
    setError(undefined);
    store.outbox?.enqueue(conversationId, body);
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
  return (
    <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <ErrorText message={error} />
      <label htmlFor="composer-input" className="sr-only">Message</label>
      <textarea
        id="composer-input"
        ref={ref}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        placeholder="Message"
        rows={1}
        autoFocus={window.matchMedia?.('(min-width: 701px)').matches}
      />
      <button className="primary" type="submit" disabled={!text.trim()}>Send</button>
    </form>
  );
}
