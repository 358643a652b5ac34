import type { FormEvent } from 'react';
import { useState } from 'react';
import { BackLink, ErrorText } from '../components/ui';
import { navigate } from '../router';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

export function NewConversationPage() {
  const families = useApp((s) => s.families);
  const me = useApp((s) => s.me);
  const online = useApp((s) => s.online);
  const [error, setError] = useState<string>();
  const [familyId, setFamilyId] = useState(families[0]?.id ?? '');
  const [title, setTitle] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const family = families.find((f) => f.id === familyId) ?? families[0];
  const people = [...new Map(families.flatMap((f) => f.members).filter((m) => m.user.id !== me?.id).map((m) => [m.user.id, m.user])).values()];

  const direct = async (userId: string) => {
    try {
      const c = await store.api.createDirect(userId);
      store.upsertConversation(c);
      navigate(`/c/${c.id}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const group = async (event: FormEvent) => {
    event.preventDefault();
    if (!family) return;
    try {
      const c = await store.api.createGroup(family.id, title.trim(), picked);
      store.upsertConversation(c);
      navigate(`/c/${c.id}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section className="page">
      <header className="chat-header">
        <BackLink />
        <h1>New conversation</h1>
      </header>
      <div className="page-body">
        <ErrorText message={error} />
        <h2>Message someone</h2>
        {people.length === 0 ? <p className="muted">Nobody else is in your family yet. Invite them from the Family page.</p> : null}
        <ul className="people">
          {people.map((u) => (
            <li key={u.id}>
              <button onClick={() => void direct(u.id)}>
                {u.display_name} <span className="muted">@{u.username}{online.includes(u.id) ? ' · online' : ''}</span>
              </button>
            </li>
          ))}
        </ul>
        {family ? (
          <form onSubmit={(e) => void group(e)} className="group-form">
            <h2>Create a group</h2>
            {families.length > 1 ? (
              <div className="field">
                <label htmlFor="group-family">Family</label>
                <select id="group-family" value={family.id} onChange={(e) => { setFamilyId(e.target.value); setPicked([]); }}>
                  {families.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
                </select>
              </div>
            ) : null}
            <div className="field">
              <label htmlFor="group-title">Group name</label>
              <input id="group-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={100} />
            </div>
            <fieldset>
              <legend>Members</legend>
              {family.members.filter((m) => m.user.id !== me?.id).map((m) => (
                <label key={m.user.id} className="check">
                  <input
                    type="checkbox"
                    checked={picked.includes(m.user.id)}
                    onChange={(e) => setPicked(e.target.checked ? [...picked, m.user.id] : picked.filter((x) => x !== m.user.id))}
                  />
                  {m.user.display_name}
                </label>
              ))}
            </fieldset>
            <button className="primary" type="submit" disabled={!title.trim()}>Create group</button>
          </form>
        ) : null}
      </div>
    </section>
  );
}
