// A message of the viewer's still in the outbox: "Sending…", or "Not sent" with why, Retry and Discard.
import type { OutboxEntry } from '@famichat/client';
import { memo } from 'react';
import { store } from '../state/app';
import { failedReason } from '../state/logic';
import { MessageText } from './MessageText';

// "Not sent: too long", or just "Not sent" when there is no more to say.
const notSent = (reason: string) => (reason === 'not sent' ? 'Not sent' : `Not sent: ${reason}`);

/** One pending send (memoized: a list re-render for someone typing leaves it alone). */
export const PendingRow = memo(function PendingRow({ entry }: { entry: OutboxEntry }) {
  const failed = entry.state === 'failed';
  return (
    <div className={`row mine pending${failed ? ' failed' : ''}`} data-client-id={entry.clientId}>
      <div className="bubble">
        <span className="body"><MessageText body={entry.body} /></span>
        <span className="meta">
          <span className="state" role="status">
            {failed ? notSent(failedReason(entry.error)) : 'Sending…'}
          </span>
        </span>
      </div>
      {failed ? (
        <div className="message-actions">
          <button onClick={() => store.outbox?.retry(entry.clientId)}>Retry</button>{' '}
          <button onClick={() => store.outbox?.discard(entry.clientId)}>Discard</button>
        </div>
      ) : null}
    </div>
  );
});
