// Chats that cannot be shown: one the caller was removed from (its history is gone, its composer off), and one
// that was never opened on this device while it is offline.
import { ChatHeader } from './ChatHeader';
import { Composer } from './Composer';

const nothing = () => undefined;

/** The chat of a conversation the caller is no longer in: no history, no members, no sending. */
export function RemovedChat({ title }: { title: string }) {
  return (
    <section className="chat" aria-label={`Conversation: ${title}`}>
      <ChatHeader title={title} />
      <div className="messages">
        <p className="removed-note" role="status">You are no longer in this conversation.</p>
      </div>
      {/* A disabled fieldset turns every control of the composer off. */}
      <fieldset className="composer-off" disabled>
        <legend className="sr-only">Sending is off</legend>
        <Composer conversationId="" onTyping={nothing} />
      </fieldset>
    </section>
  );
}

/** Why an offline chat shows no messages. */
export function OfflineNote() {
  return <p className="offline-note" role="status">Not available offline. It opens once you are back online.</p>;
}

/** The chat of a conversation this device knows nothing about, while offline. */
export function NotAvailableOffline() {
  return (
    <section className="chat">
      <ChatHeader title="Conversation" />
      <OfflineNote />
    </section>
  );
}
