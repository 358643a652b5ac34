// The files picked for the next message, before it is sent: a thumbnail for images (object URLs the composer
// revokes), the name and size, and a remove button each; a note when the pick goes out as several messages.
import { FileIcon } from './icons';
import { MAX_FILES_PER_MESSAGE, batches, formatBytes } from './format';

/** A file in the tray: its bytes and, for an image, a preview URL. */
export interface PickedFile {
  /** Unique within the tray (React key). */
  id: string;
  /** The file itself. */
  file: File;
  /** An object URL of an image, revoked when the file leaves the tray. */
  previewUrl?: string;
}

/** The tray of `files`; `onRemove` takes one out. */
export function AttachTray({ files, onRemove }: { files: readonly PickedFile[]; onRemove: (id: string) => void }) {
  if (files.length === 0) return null;
  const messages = batches(files).length;
  return (
    <div className="attach-tray">
      <ul aria-label="Files to send">
        {files.map((f) => (
          <li key={f.id} className="attach-item">
            {f.previewUrl ? <img className="attach-thumb" src={f.previewUrl} alt="" /> : <span className="attach-thumb attach-file-icon"><FileIcon /></span>}
            <span className="attach-name" title={f.file.name}>{f.file.name}</span>
            <span className="attach-size">{formatBytes(f.file.size)}</span>
            <button type="button" className="attach-remove" aria-label={`Remove ${f.file.name}`} onClick={() => onRemove(f.id)}>
              <span aria-hidden="true">×</span>
            </button>
          </li>
        ))}
      </ul>
      {messages > 1 ? (
        <p className="attach-note" role="status">
          {files.length} files go as {messages} messages (at most {MAX_FILES_PER_MESSAGE} in each).
        </p>
      ) : null}
    </div>
  );
}
