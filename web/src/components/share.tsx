// Passing a link on (invites, password resets) and asking before an action that cannot be undone.
import { useEffect, useId, useRef, useState } from 'react';
import { ErrorText } from './ui';

/**
 * A link to pass on: shown read-only (selected on focus), with Copy and, where the browser can share (phones),
 * Share. `what` completes the buttons' accessible names ("Copy invite link"), so several links on one page
 * stay distinguishable.
 */
export function LinkShare({ label, link, what, shareText }: { label: string; link: string; what: string; shareText: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string>();
  const canShare = typeof navigator.share === 'function';
  const copy = async () => {
    setError(undefined);
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      setError('Copying is not allowed here: select the link and copy it yourself.');
    }
  };
  const share = async () => {
    setError(undefined);
    try {
      await navigator.share({ title: shareText, text: shareText, url: link });
    } catch (e) {
      // Closing the share sheet is no error.
      if (!(e instanceof DOMException && e.name === 'AbortError')) setError('Sharing did not work: copy the link instead.');
    }
  };
  return (
    <div className="link-share">
      <label htmlFor={id}>{label}</label>
      <div className="invite-row">
        <input id={id} readOnly value={link} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
          <span className="sr-only"> {what}</span>
        </button>
        {canShare ? (
          <button type="button" onClick={() => void share()}>
            Share<span className="sr-only"> {what}</span>
          </button>
        ) : null}
      </div>
      <ErrorText message={error} />
    </div>
  );
}

/**
 * An inline question before an action ("Make Kid an admin?"), with the action's button (focused, so a keyboard
 * user lands on it) and Cancel.
 */
export function ConfirmInline(props: { question: string; confirmLabel: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const id = useId();
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div className="confirm" role="group" aria-labelledby={id}>
      <p id={id}>{props.question}</p>
      <div className="invite-row">
        <button type="button" ref={confirm} className={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
      </div>
    </div>
  );
}

/** A time for people, date and time (when a link stops working, when a device was last seen). */
export function dateTimeText(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
