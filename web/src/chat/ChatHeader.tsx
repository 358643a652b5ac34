// The chat screen's header: back to the list, the conversation's title and who is there.
import { BackLink } from '../components/ui';

/**
 * The header; without a subtitle, only a heading (while the conversation loads). With `onOpenDetails` (a
 * group), the title is a button that opens the group's details.
 */
export function ChatHeader({ title, subtitle, onOpenDetails }: { title: string; subtitle?: string; onOpenDetails?: () => void }) {
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
      {subtitle === undefined ? (
        heading
      ) : (
        <div className="chat-title">
          {heading}
          <span className="muted">{subtitle}</span>
        </div>
      )}
    </header>
  );
}
