// The family page: every member sees who is in each family; admins also invite people (open invites with
// copy, share and revoke), change roles and remove members (each after a confirmation), and give a member a
// password-reset link.
import type { FamilyDetail, Member, OpenInvite, Role } from '@famichat/client';
import { useEffect, useRef, useState } from 'react';
import { ConfirmInline, LinkShare, dateTimeText } from '../components/share';
import { Avatar } from '../components/Avatar';
import { BackLink, ErrorText } from '../components/ui';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

/** The family page. */
export function AdminPage() {
  const families = useApp((s) => s.families);
  // "Invite your family" leads here: to the family nobody else is in yet, else the first one the caller runs.
  const inviteTarget = (families.find((f) => f.role === 'admin' && f.members.length === 1) ?? families.find((f) => f.role === 'admin'))?.id;
  return (
    <section className="page">
      <header className="chat-header">
        <BackLink />
        <h1>{families.length > 1 ? 'Families' : 'Family'}</h1>
      </header>
      <div className="page-body">
        {families.map((f) => <FamilyPanel key={f.id} family={f} focusInvite={f.id === inviteTarget && location.hash === '#invite'} />)}
      </div>
    </section>
  );
}

// Invite links exist only where they were created (the list never carries tokens): this tab remembers them.
const LINKS_KEY = 'famichat.invite-links';

function savedLinks(): Record<string, string> {
  try {
    return JSON.parse(sessionStorage.getItem(LINKS_KEY) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

function saveLink(inviteId: string, link: string): void {
  try {
    sessionStorage.setItem(LINKS_KEY, JSON.stringify({ ...savedLinks(), [inviteId]: link }));
  } catch {
    /* storage unavailable: the link stays shown until the page changes */
  }
}

type Pending = { kind: 'role'; member: Member; role: Role } | { kind: 'remove'; member: Member };

const roleName = (role: Role) => (role === 'admin' ? 'an admin' : 'a member');

function FamilyPanel({ family, focusInvite }: { family: FamilyDetail; focusInvite: boolean }) {
  const me = useApp((s) => s.me);
  const online = useApp((s) => s.online);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [pending, setPending] = useState<Pending>();
  const [resetLinks, setResetLinks] = useState<Record<string, { link: string; expires: string }>>({});
  const isAdmin = family.role === 'admin';

  const act = async (action: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNotice(undefined);
    setPending(undefined);
    try {
      await action();
      setNotice(done);
      await store.reloadFamilies();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const confirm = () => {
    if (!pending) return;
    const name = pending.member.user.display_name;
    if (pending.kind === 'role') {
      const role = pending.role;
      void act(() => store.api.setRole(family.id, pending.member.user.id, role), `${name} is now ${roleName(role)}.`);
    } else {
      void act(() => store.api.removeMember(family.id, pending.member.user.id), `${name} was removed from ${family.name}.`);
    }
  };
  const resetLink = async (member: Member) => {
    setError(undefined);
    setNotice(undefined);
    try {
      const reset = await store.api.createPasswordReset(family.id, member.user.id);
      setResetLinks({ ...resetLinks, [member.user.id]: { link: `${location.origin}/reset/${reset.token}`, expires: dateTimeText(reset.expires_at) } });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <article className="family-admin" aria-labelledby={`family-${family.id}`}>
      <h2 id={`family-${family.id}`}>{family.name}</h2>
      <ErrorText message={error} />
      <p className="success" role="status">{notice}</p>
      <h3>Members</h3>
      <ul className="members" aria-label={`Members of ${family.name}`}>
        {family.members.map((m) => {
          const name = m.user.display_name;
          const other: Role = m.role === 'admin' ? 'member' : 'admin';
          const reset = resetLinks[m.user.id];
          return (
            <li key={m.user.id} className="member" data-user={m.user.username}>
              <div className="member-text">
                <span className="member-name">
                  <Avatar id={m.user.id} name={name} url={m.user.avatar_url} size="small" />
                  <strong>{name}</strong> <span className="muted">@{m.user.username}</span>
                  {m.user.id === me?.id ? <span className="muted"> (you)</span> : online.includes(m.user.id) ? <span className="online-label"> · online</span> : null}
                </span>
                <span className="member-role">{m.role === 'admin' ? 'Admin' : 'Member'}</span>
              </div>
              {isAdmin ? (
                <div className="member-actions">
                  <button type="button" onClick={() => setPending({ kind: 'role', member: m, role: other })}>
                    Make {name} {roleName(other)}
                  </button>
                  {m.user.id !== me?.id ? (
                    <>
                      <button type="button" onClick={() => void resetLink(m)}>
                        Password reset link<span className="sr-only"> for {name}</span>
                      </button>
                      <button type="button" className="danger" onClick={() => setPending({ kind: 'remove', member: m })}>
                        Remove<span className="sr-only"> {name}</span>
                      </button>
                    </>
                  ) : null}
                </div>
              ) : null}
              {pending?.member.user.id === m.user.id ? (
                <ConfirmInline
                  question={pending.kind === 'role' ? `Make ${name} ${roleName(pending.role)} of ${family.name}?` : `Remove ${name} from ${family.name}? They will no longer see its conversations.`}
                  confirmLabel={pending.kind === 'role' ? 'Confirm' : `Yes, remove ${name}`}
                  danger={pending.kind === 'remove'}
                  onConfirm={confirm}
                  onCancel={() => setPending(undefined)}
                />
              ) : null}
              {reset ? (
                <LinkShare
                  label={`Password reset link for ${name} (single use, valid until ${reset.expires})`}
                  link={reset.link}
                  what={`password reset link for ${name}`}
                  shareText={`Choose a new password for ${family.name}'s chat`}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
      {isAdmin ? <Invites family={family} focus={focusInvite} /> : <p className="muted">Only family admins can invite people or change roles.</p>}
    </article>
  );
}

function Invites({ family, focus }: { family: FamilyDetail; focus: boolean }) {
  const [invites, setInvites] = useState<OpenInvite[]>();
  const [links, setLinks] = useState(savedLinks);
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  // Bumped after creating or revoking one: the list reloads.
  const [reloads, setReloads] = useState(0);
  const create = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    store.api.invites(family.id).then(
      (list) => live && setInvites(list),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [family.id, reloads]);
  useEffect(() => {
    // Arrived from "Invite your family": the button to press is focused.
    if (focus) create.current?.focus();
  }, [focus]);

  const run = async (action: () => Promise<void>) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await action();
      setReloads((n) => n + 1);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const createInvite = () =>
    run(async () => {
      const created = await store.api.createInvite(family.id, role);
      const link = `${location.origin}/invite/${created.token}`;
      saveLink(created.id, link);
      setLinks(savedLinks());
      setNotice(`Invite link created. Send it to the person who should join ${family.name}.`);
    });

  return (
    <section className="invite" aria-label={`Invite someone to ${family.name}`}>
      <h3>Invite someone</h3>
      <div className="invite-row">
        <label htmlFor={`invite-role-${family.id}`}>Joins as</label>
        <select id={`invite-role-${family.id}`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="member">Member</option>
          <option value="admin">Admin</option>
        </select>
        <button ref={create} className="primary" onClick={() => void createInvite()}>Create invite link</button>
      </div>
      <ErrorText message={error} />
      <p className="success" role="status">{notice}</p>
      <h3>Open invites</h3>
      {invites === undefined ? <p className="muted">Loading invites…</p> : invites.length === 0 ? <p className="muted">No open invites.</p> : null}
      <ul className="invites" aria-label={`Open invites of ${family.name}`}>
        {(invites ?? []).map((invite, i) => {
          const link = links[invite.id];
          return (
            <li key={invite.id} className="open-invite">
              <span>
                <strong>{invite.role === 'admin' ? 'Admin' : 'Member'} invite</strong>
                <span className="muted"> · created by {invite.created_by.display_name} · valid until {dateTimeText(invite.expires_at)}</span>
              </span>
              {link ? (
                <LinkShare
                  label={`Invite link ${i + 1} (single use)`}
                  link={link}
                  what={`invite link ${i + 1}`}
                  shareText={`Join ${family.name} on our family chat`}
                />
              ) : (
                <span className="muted">Created on another device: its link is there.</span>
              )}
              <button type="button" className="danger" onClick={() => void run(async () => { await store.api.revokeInvite(family.id, invite.id); setNotice('Invite revoked: its link no longer works.'); })}>
                Revoke<span className="sr-only"> invite {i + 1}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
