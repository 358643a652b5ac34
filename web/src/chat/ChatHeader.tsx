// The chat screen's header: back to the list, the conversation's picture, title and who is there, and the way
// to its photos and files.
import { Avatar } from '../components/Avatar';
import { BackLink } from '../components/ui';
import { navigate } from '../router';

/** The conversation's picture in the header: whose, and the URL of their profile picture if any. */
export interface HeaderPicture {
  id: string;
  name: string;
  url: string | null | undefined;
}

/**
 * The header; without a subtitle, only a heading (while the conversation loads). With `onOpenDetails` (a
 * group), the title is a button that opens the group's details. `mediaHref` adds the "Photos & files" link.
 */
export function ChatHeader({ title, subtitle, onOpenDetails, picture, mediaHref }: {
  title: string;
  subtitle?: string;
  onOpenDetails?: () => void;
  picture?: HeaderPicture;
  mediaHref?: string;
}) {
  const heading = onOpenDetails ? (
    <h1>
      <button type="button" className="title-button" aria-haspopup="dialog" aria-label={`${title}: group details`} onClick={onOpenDetails}>
        {title}
      </button>
    </h1>
  ) : (
    <h1>{title}</h1>
  );
  return (
    <header className="chat-header">
      <BackLink />
      {picture ? <Avatar id={picture.id} name={picture.name} url={picture.url} /> : null}
      {subtitle === undefined ? (
        heading
      ) : (
        <div className="chat-title">
          {heading}
          <span className="muted">{subtitle}</span>
        </div>
      )}
      {mediaHref ? (
        <a href={mediaHref} className="icon-button media-link" onClick={(e) => { e.preventDefault(); navigate(mediaHref); }}>
          Photos &amp; files
        </a>
      ) : null}
    </header>
  );
}
