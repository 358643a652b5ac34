// A message of the viewer's still in the outbox: "Sending…", or "Not sent" with why, Retry and Discard. Its
// files each show a progress bar while they upload, Cancel (that file only; the rest goes on) and, when the
// server refused one, its message with Retry and Remove.
import type { OutboxEntry, OutboxFile } from '@famichat/client';
import { memo } from 'react';
import { store } from '../state/app';
import { failedReason } from '../state/logic';
import { formatBytes, formatDuration } from './attach/format';
import { MessageText } from './MessageText';

// "Not sent: too long", or just "Not sent" when there is no more to say.
const notSent = (reason: string) => (reason === 'not sent' ? 'Not sent' : `Not sent: ${reason}`);

/** One file of a pending send: name, size, progress, and what can be done with it. */
function PendingFile({ entry, file }: { entry: OutboxEntry; file: OutboxFile }) {
  const percent = file.state === 'uploaded' ? 100 : Math.floor((file.sent / Math.max(1, file.size)) * 100);
  const status = file.state === 'uploaded' ? 'Uploaded' : file.state === 'uploading' ? `${percent}%` : file.state === 'failed' ? 'Failed' : 'Waiting';
  return (
    <li className={`pending-file ${file.state}`}>
      <span className="pending-file-name">{file.name}</span>
      <span className="pending-file-size">
        {file.durationMs !== undefined ? `${formatDuration(file.durationMs)} · ` : ''}
        {formatBytes(file.size)} · {status}
      </span>
      {file.state !== 'failed' ? (
        <progress className="pending-file-progress" max={100} value={percent} aria-label={`Uploading ${file.name}`} />
      ) : (
        <span className="pending-file-error" role="alert">
          {file.maxBytes !== undefined ? `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(file.maxBytes)}.` : (file.error ?? 'The upload failed.')}
        </span>
      )}
      {file.state === 'waiting' || file.state === 'uploading' ? (
        <button type="button" onClick={() => store.outbox?.removeFile(entry.clientId, file.id)} aria-label={`Cancel ${file.name}`}>
          Cancel
        </button>
      ) : null}
      {file.state === 'failed' ? (
        <span className="pending-file-actions">
          <button type="button" onClick={() => store.outbox?.retryFile(entry.clientId, file.id)} aria-label={`Retry ${file.name}`}>
            Retry
          </button>{' '}
          <button type="button" onClick={() => store.outbox?.removeFile(entry.clientId, file.id)} aria-label={`Remove ${file.name}`}>
            Remove
          </button>
        </span>
      ) : null}
    </li>
  );
}

/** One pending send (memoized: a list re-render for someone typing leaves it alone). */
export const PendingRow = memo(function PendingRow({ entry }: { entry: OutboxEntry }) {
  const failed = entry.state === 'failed';
  const uploadFailed = failed && entry.error === 'upload_failed';
  const files = entry.files ?? [];
  return (
    <div className={`row mine pending${failed ? ' failed' : ''}`} data-client-id={entry.clientId}>
      <div className="bubble">
        {files.length > 0 ? (
          <ul className="pending-files" aria-label="Files being sent">
            {files.map((f) => <PendingFile key={f.id} entry={entry} file={f} />)}
          </ul>
        ) : null}
        {entry.body ? <span className="body"><MessageText body={entry.body} /></span> : null}
        <span className="meta">
          <span className="state" role="status">
            {uploadFailed ? 'Not sent: a file could not be uploaded' : failed ? notSent(failedReason(entry.error)) : files.some((f) => f.state !== 'uploaded') ? 'Uploading…' : 'Sending…'}
          </span>
        </span>
      </div>
      {failed ? (
        <div className="message-actions">
          {uploadFailed ? null : <><button onClick={() => store.outbox?.retry(entry.clientId)}>Retry</button>{' '}</>}
          <button onClick={() => store.outbox?.discard(entry.clientId)}>Discard</button>
        </div>
      ) : null}
    </div>
  );
});
