// A file attachment as a chip: an icon for its type, its name (shortened in the middle when it does not fit), size and type, and a
// link that downloads it.
import type { Attachment, FileIconKind } from './format';
import { fileIcon, humanSize, nameParts, typeLabel } from './format';

// One small outline per family of file; the type label is written beside it.
const ICON_PATHS: Record<FileIconKind, string> = {
  document: 'M6 2h8l4 4v16H6zM14 2v4h4M9 11h6M9 14h6M9 17h4',
  sheet: 'M6 2h8l4 4v16H6zM14 2v4h4M9 11h6v7H9zM9 14.5h6M12 11v7',
  archive: 'M6 2h8l4 4v16H6zM14 2v4h4M11 4h2M11 7h2M11 10h2M10.5 13h3v4h-3z',
  image: 'M6 2h8l4 4v16H6zM14 2v4h4M8.5 18l3-4 2 2.5 1.5-2 2 3.5z',
  audio: 'M6 2h8l4 4v16H6zM14 2v4h4M11 17.5a1.5 1.5 0 1 1-1.5-1.5H11v-6l4-1v6',
  video: 'M6 2h8l4 4v16H6zM14 2v4h4M10 12v6l5-3z',
  file: 'M6 2h8l4 4v16H6zM14 2v4h4',
};

/** The chip of one file: the whole chip is its download link. */
export function FileChip({ attachment }: { attachment: Attachment }) {
  const type = typeLabel(attachment.mime_type, attachment.filename);
  const size = humanSize(attachment.size_bytes);
  const icon = fileIcon(attachment.mime_type, attachment.filename);
  const [start, end] = nameParts(attachment.filename);
  return (
    <a
      className="file-chip"
      href={attachment.url}
      download={attachment.filename}
      title={attachment.filename}
      data-attachment={attachment.id}
    >
      <svg className={`file-icon file-icon-${icon}`} viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
        <path d={ICON_PATHS[icon]} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" strokeLinecap="round" />
      </svg>
      <span className="file-text">
        {/* Read out: "Download <the whole name>, 240 KB, PDF"; shown: the shortened name. */}
        <span className="sr-only">Download {attachment.filename}, </span>
        <span className="file-name" aria-hidden="true">
          <span className="file-name-start">{start}</span>
          <span className="file-name-end">{end}</span>
        </span>
        <span className="file-meta" aria-hidden="true">
          <span className="file-size">{size}</span> · <span className="file-type">{type}</span>
        </span>
        <span className="sr-only">{size}, {type}</span>
      </span>
      <svg className="download-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        <path d="M12 4v11M7 10l5 5 5-5M5 20h14" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </a>
  );
}
