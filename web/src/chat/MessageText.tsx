// The text of a message, with its http(s) links made clickable (opening in a new tab) and the @mentions of
// participants highlighted (the viewer's own more strongly).
import { Fragment } from 'react';
import { linkify } from '../state/logic';
import { splitMentions } from './text';

/** Whom a message can mention: the participants' usernames (lower case) and the viewer's. */
export interface Mentionable {
  usernames: ReadonlySet<string>;
  viewer: string;
}

/** A message body as text, links and (with `mentionable`) mentions. */
export function MessageText({ body, mentionable }: { body: string; mentionable?: Mentionable }) {
  return (
    <>
      {linkify(body).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : mentionable ? (
          <Fragment key={i}>
            {splitMentions(part.text, mentionable.usernames, mentionable.viewer).map((piece, j) =>
              piece.kind === 'mention' ? (
                <span key={j} className={piece.me ? 'mention me' : 'mention'}>{piece.text}</span>
              ) : (
                <Fragment key={j}>{piece.text}</Fragment>
              ),
            )}
          </Fragment>
        ) : (
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
