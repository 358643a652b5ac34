// "Photos & files" of one conversation: every photo and video as a grid (newest first) and the files and voice
// messages as a list, reading older pages of the history as the viewer scrolls; a photo opens the viewer.
import type { Message } from '@famichat/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorText } from '../../components/ui';
import { navigate } from '../../router';
import { store, useApp } from '../../state/app';
import { errorMessage, dayLabel } from '../../state/logic';
import { AudioPlayer } from './AudioPlayer';
import { FileChip } from './FileChip';
import { collectMedia } from './format';
import { MediaViewer } from './MediaViewer';
import { Tile } from './AttachmentGrid';

// Messages per history page; one scroll step reads pages until it finds this many attachments, or this many pages.
const PAGE = 100;
const ENOUGH = 24;
const MAX_PAGES = 3;

/** The "Photos & files" page of conversation `conversationId`. */
export function MediaGallery({ conversationId }: { conversationId: string }) {
  const conversation = useApp((s) => s.conversations.find((c) => c.id === conversationId));
  const [messages, setMessages] = useState<Message[]>([]);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<number>();
  const sentinel = useRef<HTMLDivElement>(null);
  // The oldest seq read so far, and whether a read is under way (refs: the observer's callback outlives renders).
  const oldest = useRef<number | undefined>(undefined);
  const busy = useRef(false);
  const more = useRef(true);

  const loadOlder = useCallback(async () => {
    if (busy.current || !more.current) return;
    busy.current = true;
    setLoading(true);
    setError(undefined);
    try {
      let found = 0;
      // Pages of text alone add nothing to see: keep reading a few until something new shows or the history ends
      // (the end marker, still in view, asks for more after that).
      for (let pages = 0; more.current && found < ENOUGH && pages < MAX_PAGES; pages++) {
        const page = await store.api.messages(conversationId, { limit: PAGE, ...(oldest.current === undefined ? {} : { before: oldest.current }) });
        const first = page.messages[0];
        if (first) oldest.current = first.seq;
        more.current = page.hasMore && first !== undefined;
        found += page.messages.reduce((n, m) => n + (m.deleted_at ? 0 : (m.attachments ?? []).length), 0);
        setMessages((list) => [...list, ...page.messages]);
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      busy.current = false;
      setHasMore(more.current);
      setLoading(false);
    }
  }, [conversationId]);

  useEffect(() => {
    void loadOlder();
  }, [loadOlder]);

  // The end of the page coming into view reads the next older pages.
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasMore) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadOlder();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasMore, loading, loadOlder]);

  const { visual, other } = useMemo(() => collectMedia(messages), [messages]);
  const items = useMemo(() => visual.map((f) => f.attachment), [visual]);
  const names = useMemo(() => new Map((conversation?.participants ?? []).map((p) => [p.id, p.display_name])), [conversation?.participants]);
  const title = conversation?.title ?? 'Conversation';
  const chatHref = `/c/${conversationId}`;

  return (
    <section className="page media-gallery" aria-labelledby="media-title">
      <header className="chat-header">
        <a href={chatHref} className="icon-button gallery-back" onClick={(e) => { e.preventDefault(); navigate(chatHref); }}>
          <span aria-hidden="true">←&nbsp;</span>Back to the chat<span className="sr-only"> with {title}</span>
        </a>
        <div className="chat-title">
          <h1 id="media-title">Photos &amp; files</h1>
          <span className="muted">{title}</span>
        </div>
      </header>
      <div className="page-body">
        <ErrorText message={error} />
        {!hasMore && !loading && visual.length === 0 && other.length === 0 ? <p className="muted empty">No photos or files yet</p> : null}
        {visual.length > 0 ? (
          <>
            <h2>Photos and videos</h2>
            <ul className="gallery-grid" aria-label="Photos and videos, newest first">
              {visual.map((f, i) => (
                <li key={f.attachment.id}>
                  <Tile item={f.attachment} onOpen={() => setOpen(i)} />
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {other.length > 0 ? (
          <>
            <h2>Files and voice messages</h2>
            <ul className="gallery-files" aria-label="Files and voice messages, newest first">
              {other.map((f) => (
                <li key={f.attachment.id}>
                  <span className="gallery-from muted">
                    {names.get(f.message.sender_id) ?? 'Former member'} · {dayLabel(f.message.inserted_at)}
                  </span>
                  {f.attachment.kind === 'audio' ? <AudioPlayer attachment={f.attachment} /> : <FileChip attachment={f.attachment} />}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <div ref={sentinel} className="gallery-end">
          {loading ? <p className="muted" role="status">Loading…</p> : hasMore ? (
            <button type="button" onClick={() => void loadOlder()}>Load older</button>
          ) : null}
        </div>
      </div>
      {open !== undefined ? <MediaViewer items={items} index={open} onClose={() => setOpen(undefined)} /> : null}
    </section>
  );
}
