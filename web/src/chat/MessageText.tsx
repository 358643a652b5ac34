// The text of a message, with its http(s) links made clickable (opening in a new tab).
import { Fragment } from 'react';
import { linkify } from '../state/logic';

/** A message body as text and links. */
export function MessageText({ body }: { body: string }) {
  return (
    <>
      {linkify(body).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
