// The chat screen's header: back to the list, the conversation's title and who is there.
import { BackLink } from '../components/ui';

/** The header; without a subtitle, only a heading (while the conversation loads). */
export function ChatHeader({ title, subtitle }: { title: string; subtitle?: string }) {
  return (
    <header className="chat-header">
      <BackLink />
      {subtitle === undefined ? (
        <h1>{title}</h1>
      ) : (
        <div className="chat-title">
          <h1>{title}</h1>
          <span className="muted">{subtitle}</span>
        </div>
      )}
    </header>
  );
}
