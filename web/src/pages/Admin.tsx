import type { FamilyDetail, Role } from '@famichat/client';
import { useState } from 'react';
import { BackLink, ErrorText } from '../components/ui';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

export function AdminPage() {
  const families = useApp((s) => s.families);
  return (
    <section className="page">
      <header className="chat-header">
        <BackLink />
        <h1>Family</h1>
      </header>
      <div className="page-body">
        {families.map((f) => <FamilyAdmin key={f.id} family={f} />)}
      </div>
    </section>
  );
}

function FamilyAdmin({ family }: { family: FamilyDetail }) {
  const me = useApp((s) => s.me);
  const online = useApp((s) => s.online);
  const [error, setError] = useState<string>();
  const [invite, setInvite] = useState<{ link: string; expires: string }>();
  const [inviteRole, setInviteRole] = useState<Role>('member');
  const [copied, setCopied] = useState(false);
  const isAdmin = family.role === 'admin';

  const act = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      await store.reloadFamilies();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const createInvite = () =>
    act(async () => {
      const created = await store.api.createInvite(family.id, inviteRole);
      setCopied(false);
      setInvite({ link: `${location.origin}/invite/${created.token}`, expires: new Date(created.expires_at).toLocaleString() });
    });
  const copy = async () => {
    if (!invite) return;
    try {
      await navigator.clipboard.writeText(invite.link);
      setCopied(true);
    } catch {
      setError('Copying is not allowed here: select the link and copy it yourself.');
    }
  };

  return (
    <article className="family-admin" aria-labelledby={`family-${family.id}`}>
      <h2 id={`family-${family.id}`}>{family.name}</h2>
      <ErrorText message={error} />
      <table className="members">
        <caption className="sr-only">Members of {family.name}</caption>
        <thead>
          <tr><th scope="col">Member</th><th scope="col">Role</th>{isAdmin ? <th scope="col"><span className="sr-only">Actions</span></th> : null}</tr>
        </thead>
        <tbody>
          {family.members.map((m) => (
            <tr key={m.user.id} data-user={m.user.username}>
              <td>
                {m.user.display_name} <span className="muted">@{m.user.username}</span>
                {m.user.id === me?.id ? <span className="muted"> (you)</span> : online.includes(m.user.id) ? <span className="online-label"> · online</span> : null}
              </td>
              <td>
                {isAdmin ? (
                  <>
                    <label className="sr-only" htmlFor={`role-${family.id}-${m.user.id}`}>Role of {m.user.display_name}</label>
                    <select id={`role-${family.id}-${m.user.id}`} value={m.role} onChange={(e) => void act(() => store.api.setRole(family.id, m.user.id, e.target.value as Role))}>
                      <option value="member">Member</option>
                      <option value="admin">Admin</option>
                    </select>
                  </>
                ) : m.role === 'admin' ? 'Admin' : 'Member'}
              </td>
              {isAdmin ? (
                <td>
                  {m.user.id !== me?.id ? (
                    <button className="danger" onClick={() => { if (window.confirm(`Remove ${m.user.display_name} from ${family.name}?`)) void act(() => store.api.removeMember(family.id, m.user.id)); }}>
                      Remove
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {isAdmin ? (
        <div className="invite">
          <h3>Invite someone</h3>
          <div className="invite-row">
            <label htmlFor={`invite-role-${family.id}`}>Joins as</label>
            <select id={`invite-role-${family.id}`} value={inviteRole} onChange={(e) => setInviteRole(e.target.value as Role)}>
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
            <button className="primary" onClick={() => void createInvite()}>Create invite link</button>
          </div>
          {invite ? (
            <div className="invite-link">
              <label htmlFor={`invite-link-${family.id}`}>Invite link (single use, valid until {invite.expires})</label>
              <div className="invite-row">
                <input id={`invite-link-${family.id}`} readOnly value={invite.link} onFocus={(e) => e.target.select()} />
                <button onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</button>
              </div>
            </div>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}
