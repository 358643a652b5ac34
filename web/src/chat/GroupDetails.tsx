// A group's details, opened from the chat header: rename it, see who is in it, add a family member or remove
// one, and leave. The server decides who may do what (group admins rename, add and remove; anyone leaves), so
// a refusal is shown with its reason.
import type { Conversation, User } from '@famichat/client';
import { ApiError } from '@famichat/client';
import type { FormEvent } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { Avatar } from '../components/Avatar';
import { ConfirmInline } from '../components/share';
import { ErrorText, Field } from '../components/ui';
import { navigate } from '../router';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

/** A refusal says why ("Only a group admin can rename the group."); anything else reads as usual. */
function reason(e: unknown): string {
  return e instanceof ApiError && e.code === 'forbidden' ? e.message : errorMessage(e);
}

/** The group details dialog (modal: focus stays inside, Escape closes it). */
export function GroupDetails({ conversation, me, onClose }: { conversation: Conversation; me: User; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const family = useApp((s) => s.families.find((f) => f.id === conversation.family_id));
  const [title, setTitle] = useState(conversation.title);
  const [addId, setAddId] = useState('');
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [leaving, setLeaving] = useState(false);
  const inGroup = new Set(conversation.participants.map((p) => p.id));
  const addable = (family?.members ?? []).map((m) => m.user).filter((u) => !inGroup.has(u.id));

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const act = async (action: () => Promise<Conversation | undefined>, done: string) => {
    setError(undefined);
    setNotice(undefined);
    try {
      const updated = await action();
      if (updated) store.upsertConversation(updated);
      setNotice(done);
    } catch (e) {
      setError(reason(e));
    }
  };
  const rename = (event: FormEvent) => {
    event.preventDefault();
    void act(() => store.api.updateConversation(conversation.id, { title }), `The group is now called ${title.trim()}.`);
  };
  const add = (user: User | undefined) => {
    if (!user) return;
    void act(async () => {
      const updated = await store.api.addParticipant(conversation.id, user.id);
      setAddId('');
      return updated;
    }, `${user.display_name} was added.`);
  };
  const remove = (user: User) =>
    act(async () => {
      await store.api.removeParticipant(conversation.id, user.id);
      return store.api.conversation(conversation.id);
    }, `${user.display_name} was removed from the group.`);
  const leave = async () => {
    setError(undefined);
    try {
      await store.api.removeParticipant(conversation.id, me.id);
      store.set({ conversations: store.state.conversations.filter((c) => c.id !== conversation.id) });
      onClose();
      navigate('/', { replace: true });
    } catch (e) {
      setError(reason(e));
    }
  };

  return (
    <dialog ref={dialog} className="group-details" aria-labelledby={titleId} onClose={onClose}>
      <div className="dialog-header">
        <h2 id={titleId}>Group details</h2>
        <button type="button" onClick={onClose}>Close<span className="sr-only"> group details</span></button>
      </div>
      <form onSubmit={rename} className="invite-row rename">
        <Field label="Group name" name="group_title" value={title} onChange={setTitle} maxLength={100} />
        <button type="submit">Rename group</button>
      </form>
      <ErrorText message={error} />
      <p className="success" role="status">{notice}</p>
      <h3>{conversation.participants.length} people</h3>
      <ul className="members" aria-label="People in this group">
        {conversation.participants.map((p) => (
          <li key={p.id} className="member">
            <span className="member-name">
              <Avatar id={p.id} name={p.display_name} url={p.avatar_url} size="small" />
              <strong>{p.display_name}</strong> <span className="muted">@{p.username}</span>
              {p.id === me.id ? <span className="muted"> (you)</span> : null}
            </span>
            {p.id !== me.id ? (
              <button type="button" className="danger" onClick={() => void remove(p)}>
                Remove<span className="sr-only"> {p.display_name} from the group</span>
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {addable.length > 0 ? (
        <div className="invite-row">
          <label htmlFor={`${titleId}-add`}>Add a family member</label>
          <select id={`${titleId}-add`} value={addId} onChange={(e) => setAddId(e.target.value)}>
            <option value="">Choose…</option>
            {addable.map((u) => <option key={u.id} value={u.id}>{u.display_name}</option>)}
          </select>
          <button type="button" disabled={!addId} onClick={() => add(addable.find((u) => u.id === addId))}>Add to group</button>
        </div>
      ) : (
        <p className="muted">Everyone in the family is in this group.</p>
      )}
      {leaving ? (
        <ConfirmInline question={`Leave ${conversation.title}? You will no longer see its messages.`} confirmLabel="Yes, leave the group" danger onConfirm={() => void leave()} onCancel={() => setLeaving(false)} />
      ) : (
        <button type="button" className="danger leave" onClick={() => setLeaving(true)}>Leave group</button>
      )}
    </dialog>
  );
}
